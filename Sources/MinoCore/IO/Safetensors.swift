import Foundation

/// Named tensors and string metadata in the safetensors format: Mino's
/// checkpoint format, and the format of the conformance suite's golden data.
///
/// Layout: an unsigned 64-bit little-endian header length `N`, `N` bytes of
/// UTF-8 JSON (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets":
/// [begin, end]}, "__metadata__": {"key": "value"}}`), then the tensors' bytes,
/// little endian and row-major, offsets relative to the start of that buffer.
///
/// Reading validates as strictly as the reference implementation: the header
/// length against ``maximumHeaderSize`` and the file's size, the JSON (no
/// duplicate keys), every dtype, shape and offset, sizes that match
/// `prod(shape)·bytes` (without overflow), offsets that tile the buffer from
/// 0 with no gap or overlap, and a buffer that ends exactly at the end of the
/// file. Every problem is a ``MinoError`` that says what is wrong and where:
/// kind `.io` for a corrupt file, `.dtype` for a well-formed tensor of a dtype
/// Mino does not have (`BF16`, `I32`...). Writing is atomic: a temporary file
/// in the same folder, then a rename.
public struct Safetensors: Equatable {
    public var tensors: [String: HostArray]
    /// The `__metadata__` block: free-form strings.
    public var metadata: [String: String]

    /// Headers larger than this are refused before anything is allocated (the reference's limit).
    public static let maximumHeaderSize = 100_000_000

    /// The reserved header key of the metadata block.
    public static let metadataKey = "__metadata__"

    /// Dtype names of the format that Mino does not hold (a `.dtype` error, not corruption).
    static let unsupportedDTypes: Set<String> = [
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "C64", "U64",
    ]

    public init(tensors: [String: HostArray] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Tensor names in file order: by descending alignment, then by name (as the reference writer).
    public var orderedNames: [String] {
        tensors.keys.sorted { a, b in
            let (sa, sb) = (tensors[a]?.dtype.byteSize ?? 0, tensors[b]?.dtype.byteSize ?? 0)
            return sa != sb ? sa > sb : a < b
        }
    }

    // MARK: Writing

    /// The file's bytes. The same tensors and metadata always give the same bytes.
    ///
    /// - Throws: ``MinoError`` `.argument` for an empty or reserved tensor name.
    public func encoded() throws -> [UInt8] {
        var header: [String: JSONValue] = [:]
        var offset = 0
        let names = orderedNames
        for name in names {
            guard !name.isEmpty, name != Safetensors.metadataKey else {
                throw MinoError(.argument, "safetensors: '\(name)' cannot name a tensor")
            }
            guard let array = tensors[name] else { continue }
            let size = array.shape.elementCount * array.dtype.byteSize
            header[name] = .object([
                "dtype": .string(array.dtype.info.safetensorsName),
                "shape": .array(array.shape.dims.map { .integer($0) }),
                "data_offsets": .array([.integer(offset), .integer(offset + size)]),
            ])
            offset += size
        }
        if !metadata.isEmpty {
            header[Safetensors.metadataKey] = .object(metadata.mapValues { .string($0) })
        }
        var json = Array(JSONValue.object(header).serialized().utf8)
        // Pad with spaces so the buffer starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for name in names {
            if let array = tensors[name] { out.append(contentsOf: array.littleEndianBytes) }
        }
        return out
    }

    /// Writes the file atomically: readers see the old file or the new one, never a part.
    ///
    /// - Throws: ``MinoError`` `.io` naming the path and the reason.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(try encoded()), to: url)
    }

    // MARK: Reading

    /// Reads and validates a file.
    public init(contentsOf url: URL) throws {
        try self.init(bytes: try AtomicFile.read(url), source: url.path)
    }

    /// Parses and validates a file's bytes; `source` names it in messages.
    public init(bytes: [UInt8], source: String = "safetensors data") throws {
        func fail(_ what: String) -> MinoError { MinoError(.io, "\(source): \(what)") }
        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, but the 8-byte header length alone needs 8")
        }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(bytes[i]) }
        guard length <= UInt64(Safetensors.maximumHeaderSize) else {
            throw fail("header length \(length) exceeds the limit of \(Safetensors.maximumHeaderSize) bytes")
        }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else {
            throw fail("truncated: the header needs \(length) bytes, but only \(bytes.count - 8) follow the length")
        }
        guard length >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw fail("the header must be a JSON object beginning with '{'")
        }
        let header = try JSONValue.parse(bytes[8..<headerEnd], context: "\(source): header")
        guard let entries = header.objectValue else { throw fail("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var layout: [(name: String, begin: Int, end: Int, dtype: DType, shape: Shape)] = []
        for (name, entry) in entries {
            if name == Safetensors.metadataKey {
                guard let block = entry.objectValue else { throw fail("__metadata__ must be an object of strings") }
                for (key, value) in block {
                    guard let text = value.stringValue else { throw fail("__metadata__ '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            let info = try Safetensors.tensorInfo(name, entry, source, fail)
            layout.append((name, info.begin, info.end, info.dtype, info.shape))
        }

        // The offsets must tile the buffer from 0, in order, with no gap and no overlap.
        let bufferSize = bytes.count - headerEnd
        layout.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        for t in layout {
            if t.begin < expected {
                throw fail("tensor '\(t.name)': data_offsets [\(t.begin), \(t.end)] overlap the previous tensor's data")
            }
            if t.begin > expected {
                throw fail("tensor '\(t.name)': data_offsets [\(t.begin), \(t.end)] leave a gap after byte \(expected)")
            }
            guard t.end <= bufferSize else {
                throw fail("truncated: tensor '\(t.name)' ends at byte \(t.end) of the data, which has \(bufferSize)")
            }
            expected = t.end
        }
        guard expected == bufferSize else {
            throw fail("\(bufferSize - expected) bytes follow the last tensor's data")
        }

        var tensors: [String: HostArray] = [:]
        for t in layout {
            let slice = bytes[(headerEnd + t.begin)..<(headerEnd + t.end)]
            tensors[t.name] = try HostArray(littleEndianBytes: slice, dtype: t.dtype, shape: t.shape)
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// One header entry, checked: dtype, shape and offsets, and a size that matches them.
    private static func tensorInfo(_ name: String, _ entry: JSONValue, _ source: String,
                                   _ fail: (String) -> MinoError) throws
        -> (begin: Int, end: Int, dtype: DType, shape: Shape) {
        guard !name.isEmpty else { throw fail("a tensor has an empty name") }
        guard entry.objectValue != nil else { throw fail("tensor '\(name)': the entry is not an object") }
        guard let dtypeName = entry["dtype"]?.stringValue else { throw fail("tensor '\(name)': no dtype") }
        guard let dtype = DType.allCases.first(where: { $0.info.safetensorsName == dtypeName }) else {
            if unsupportedDTypes.contains(dtypeName) {
                throw MinoError(.dtype, "\(source): tensor '\(name)' has dtype \(dtypeName), which Mino does not support "
                                + "(it holds " + DType.allCases.map(\.info.safetensorsName).joined(separator: ", ") + ")")
            }
            throw fail("tensor '\(name)': unknown dtype '\(dtypeName)'")
        }
        guard let dimValues = entry["shape"]?.arrayValue else { throw fail("tensor '\(name)': no shape") }
        var dims: [Int] = []
        for d in dimValues {
            guard let size = d.intValue, size >= 0 else {
                throw fail("tensor '\(name)': shape \(JSONValue.array(dimValues)) has a dimension that is not a non-negative integer")
            }
            dims.append(size)
        }
        guard let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin else {
            throw fail("tensor '\(name)': data_offsets must be two integers [begin, end] with 0 ≤ begin ≤ end")
        }
        var size = dtype.byteSize
        for d in dims {
            let (product, overflow) = size.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("tensor '\(name)': shape \(Shape(dims)) is too large to address") }
            size = product
        }
        guard end - begin == size else {
            throw fail("tensor '\(name)': \(dtypeName) \(Shape(dims)) needs \(size) bytes, "
                       + "but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return (begin, end, dtype, Shape(dims))
    }
}
