import XCTest
import MinoCore
import MinoModel

final class DigitsTests: XCTestCase {
    func testTheShippedDataSet() throws {
        let digits = try Digits.load()
        XCTAssertEqual(digits.count, 1797)
        XCTAssertEqual(digits.featureCount, 64)
        XCTAssertEqual(digits.classCount, 10)
        let pixels = digits.features.floats
        XCTAssertEqual(pixels.min(), 0)
        XCTAssertEqual(pixels.max(), 1)
        // Every class is there, roughly 180 times each.
        for c in 0..<10 {
            XCTAssertTrue((170...190).contains(digits.labels.filter { $0 == c }.count))
        }
    }

    func testSeededSplitIsDisjointAndRepeatable() throws {
        let digits = try Digits.load()
        let (train, test) = try digits.split(trainCount: Digits.trainCount, generator: RandomGenerator(seed: 0))
        XCTAssertEqual(train.count, 1347)
        XCTAssertEqual(test.count, 450)
        let again = try digits.split(trainCount: Digits.trainCount, generator: RandomGenerator(seed: 0))
        XCTAssertEqual(again.train.labels, train.labels)
        XCTAssertEqual(again.test.features, test.features)
        let other = try digits.split(trainCount: Digits.trainCount, generator: RandomGenerator(seed: 1))
        XCTAssertNotEqual(other.train.labels, train.labels)
    }

    func testShuffledBatches() throws {
        let digits = try Digits.load()
        let batches = try digits.batches(size: 500, shuffle: RandomGenerator(seed: 2), on: backend)
        XCTAssertEqual(batches.map(\.features.shape), [[500, 64], [500, 64], [500, 64], [297, 64]])
        let labels = try batches.flatMap { try $0.labels.int64s() }
        XCTAssertEqual(labels.sorted(), digits.labels.sorted())
        XCTAssertNotEqual(labels, digits.labels)
        XCTAssertThrowsError(try digits.batches(size: 0, shuffle: nil, on: backend))
    }

    func testMalformedFilesNameTheLine() {
        let row = Array(repeating: "0", count: 64).joined(separator: ",")
        XCTAssertThrowsError(try Digits.parse("\(row),3\n1,2,3\n", name: "bad.csv")) { error in
            XCTAssertTrue("\(error)".contains("bad.csv:2"), "\(error)")
        }
        XCTAssertThrowsError(try Digits.parse("\(row),12\n", name: "bad.csv")) { error in
            XCTAssertTrue("\(error)".contains("label 12"), "\(error)")
        }
        XCTAssertThrowsError(try Digits.parse("\(row.dropLast()),x,1\n", name: "bad.csv"))
        XCTAssertThrowsError(try Digits.parse("", name: "empty.csv"))
        XCTAssertThrowsError(try Digits.load(from: URL(fileURLWithPath: "/nonexistent/digits.csv"))) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .io)
        }
    }
}
