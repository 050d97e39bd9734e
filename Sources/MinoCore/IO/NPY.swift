import Foundation

/// One array in NumPy's `.npy` format (versions 1.0–3.0).
///
/// Layout: the magic `\x93NUMPY`, a major and a minor version byte, the
/// header length (2 bytes little endian in 1.0, 4 in 2.0 and 3.0), a Python
/// dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
/// padded with spaces and a newline so the data starts 64-byte aligned, then
/// the raw elements.
///
/// Reading is strict: the magic and version, a header of at most
/// ``maximumHeaderSize`` bytes holding exactly the three keys, a shape of
/// non-negative integers, and exactly as many data bytes as the shape needs.
/// Fortran-ordered data is reordered to row-major. Problems are
/// ``MinoError``s naming the source: `.io` for a malformed file, `.dtype`
/// for a well-formed array of a dtype Mino does not have (`<f2`, `>f4`, `|b1`).
public enum NPY {
    /// NumPy's own limit for headers it reads without `allow_pickle`.
    public static let maximumHeaderSize = 10_000
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    // MARK: Writing

    /// The file's bytes (version 1.0 unless the header needs 2.0), row-major.
    public static func encode(_ array: HostArray) -> [UInt8] {
        let dims = array.shape.dims
        let shape = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '\(array.dtype.info.numpyDescriptor)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        let small = header.count + 1 + 10 <= 65535
        let preamble = magic.count + 2 + (small ? 2 : 4)
        let padding = (64 - (preamble + header.count + 1) % 64) % 64
        header += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        var out = magic + [small ? 1 : 2, 0]
        let length = UInt32(header.count)
        out += small ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                     : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        return out + header + array.littleEndianBytes
    }

    /// Writes the file atomically.
    public static func write(_ array: HostArray, to url: URL) throws {
        try AtomicFile.write(Data(encode(array)), to: url)
    }

    // MARK: Reading

    public static func read(contentsOf url: URL) throws -> HostArray {
        try decode(AtomicFile.read(url), source: url.path)
    }

    /// Parses and validates a file's bytes; `source` names it in messages.
    public static func decode(_ bytes: [UInt8], source: String = ".npy data") throws -> HostArray {
        func fail(_ what: String) -> MinoError { MinoError(.io, "\(source): \(what)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file (it does not start with \\x93NUMPY)")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw fail("unsupported .npy version \(major).\(bytes[7])") }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw fail("truncated in the header length") }
        var length = 0
        for i in (0..<lengthBytes).reversed() { length = length << 8 | Int(bytes[8 + i]) }
        guard length <= maximumHeaderSize else {
            throw fail("header length \(length) exceeds the limit of \(maximumHeaderSize) bytes")
        }
        let dataStart = 8 + lengthBytes + length
        guard dataStart <= bytes.count else {
            throw fail("truncated: the header needs \(length) bytes, only \(bytes.count - 8 - lengthBytes) follow")
        }
        let headerBytes = bytes[(8 + lengthBytes)..<dataStart]
        // Versions 1 and 2 are latin-1 (ASCII in practice); 3 is UTF-8.
        guard let text = String(validating: headerBytes, as: UTF8.self) else { throw fail("the header is not text") }
        let header = try NPYHeader.parse(text, fail)

        let dtype: DType
        if let known = DType.allCases.first(where: { $0.info.numpyDescriptor == header.descr }) {
            dtype = known
        } else if header.descr.hasPrefix("="),
                  let native = DType.allCases.first(where: { "=" + $0.info.numpyDescriptor.dropFirst() == header.descr }) {
            dtype = native  // native order: little endian on every platform Mino runs on
        } else {
            throw MinoError(.dtype, "\(source): dtype '\(header.descr)' is not supported (Mino reads "
                            + DType.allCases.map(\.info.numpyDescriptor).joined(separator: ", ") + ")")
        }
        var count = 1
        for d in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int.max / 8 else { throw fail("shape \(Shape(header.shape)) is too large") }
            count = product
        }
        let expected = count * dtype.byteSize
        guard bytes.count - dataStart == expected else {
            throw fail(bytes.count - dataStart < expected
                       ? "truncated: \(dtype) \(Shape(header.shape)) needs \(expected) data bytes, found \(bytes.count - dataStart)"
                       : "\(bytes.count - dataStart - expected) bytes follow the array's data")
        }
        let array = try HostArray(littleEndianBytes: bytes[dataStart...], dtype: dtype,
                                  shape: Shape(header.fortranOrder ? header.shape.reversed() : header.shape))
        return header.fortranOrder ? reversingAxes(array) : array
    }

    /// Fortran-ordered data read as the reversed shape, row-major, then its axes reversed.
    static func reversingAxes(_ array: HostArray) -> HostArray {
        let dims = array.shape.dims
        guard dims.count > 1 else { return array }
        let source = array.shape.contiguousStrides
        let target = Shape(dims.reversed())
        let n = target.elementCount
        var order = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: dims.count)  // row-major position in the target
        for r in 0..<n {
            // Target axis k is source axis rank−1−k.
            var offset = 0
            for k in 0..<dims.count { offset += index[k] * source[dims.count - 1 - k] }
            order[r] = offset
            var k = dims.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < target[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        switch array.elements {
        case .float32(let v): return HostArray(unchecked: target, .float32(order.map { v[$0] }))
        case .float64(let v): return HostArray(unchecked: target, .float64(order.map { v[$0] }))
        case .int64(let v): return HostArray(unchecked: target, .int64(order.map { v[$0] }))
        }
    }
}

/// The dict literal of a `.npy` header: exactly `descr`, `fortran_order` and `shape`.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    private enum Token: Equatable {
        case punct(Character), string(String), integer(Int), bool(Bool)
    }

    static func parse(_ text: String, _ fail: (String) -> MinoError) throws -> NPYHeader {
        var tokens: [Token] = []
        var chars = Array(text)[...]
        while let c = chars.first {
            if c.isWhitespace { chars = chars.dropFirst(); continue }
            if "{}():,".contains(c) {
                tokens.append(.punct(c))
                chars = chars.dropFirst()
            } else if c == "'" || c == "\"" {
                guard let end = chars.dropFirst().firstIndex(of: c) else { throw fail("unterminated string in the header") }
                tokens.append(.string(String(chars[chars.index(after: chars.startIndex)..<end])))
                chars = chars[chars.index(after: end)...]
            } else if c.isNumber {
                let digits = chars.prefix { $0.isASCII && $0.isNumber }
                guard let value = Int(String(digits)) else { throw fail("a number in the header is out of range") }
                tokens.append(.integer(value))
                chars = chars.dropFirst(digits.count)
            } else if chars.starts(with: "True") || chars.starts(with: "False") {
                let truth = chars.starts(with: "True")
                tokens.append(.bool(truth))
                chars = chars.dropFirst(truth ? 4 : 5)
            } else {
                throw fail("unexpected '\(c)' in the header")
            }
        }
        var i = 0
        func next() -> Token? {
            defer { i += 1 }
            return i < tokens.count ? tokens[i] : nil
        }
        func expect(_ c: Character) throws {
            guard next() == .punct(c) else { throw fail("malformed header: expected '\(c)'") }
        }
        try expect("{")
        var values: [String: Token] = [:]
        var shape: [Int]? = nil
        while i < tokens.count, tokens[i] != .punct("}") {
            guard case .string(let key)? = next() else { throw fail("malformed header: expected a key") }
            guard values[key] == nil, !(key == "shape" && shape != nil) else { throw fail("header repeats '\(key)'") }
            try expect(":")
            if key == "shape" {
                try expect("(")
                var dims: [Int] = []
                while i < tokens.count, tokens[i] != .punct(")") {
                    guard case .integer(let d)? = next() else { throw fail("shape must be a tuple of non-negative integers") }
                    dims.append(d)
                    if i < tokens.count, tokens[i] == .punct(",") { i += 1 }
                }
                try expect(")")
                shape = dims
            } else {
                guard let v = next() else { throw fail("malformed header") }
                values[key] = v
            }
            if i < tokens.count, tokens[i] == .punct(",") { i += 1 }
        }
        try expect("}")
        guard i == tokens.count else { throw fail("text after the header's dict") }
        let keys = Set(values.keys).union(shape == nil ? [] : ["shape"])
        guard keys == ["descr", "fortran_order", "shape"] else {
            throw fail("the header must hold exactly descr, fortran_order and shape; it holds \(keys.sorted())")
        }
        guard case .string(let descr)? = values["descr"] else { throw fail("descr must be a string") }
        guard case .bool(let fortran)? = values["fortran_order"] else { throw fail("fortran_order must be True or False") }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape ?? [])
    }
}
