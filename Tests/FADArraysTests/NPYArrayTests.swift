import XCTest
import FADArrays
import _FADTestSupport

final class NPYArrayTests: XCTestCase {
    func testRoundTripEveryDType() throws {
        for dtype: NPYArray.DType in [.float16, .float32, .float64, .int32, .int64, .uint8] {
            let a = NPYArray(shape: [2, 3], dtype: dtype, values: [0, 1, 2, 3, 4, 5])
            let b = try NPYArray.decode(a.encoded())
            XCTAssertEqual(a, b, "\(dtype)")
        }
    }

    func testHeaderIsAlignedAndReadableByNumPyConvention() throws {
        let data = NPYArray(shape: [5], floats: [1, 2, 3, 4, 5]).encoded()
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (5,)"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
    }

    func testFloat16RoundingMatchesIEEE() {
        XCTAssertEqual(floatToHalf(1.0), 0x3C00)
        XCTAssertEqual(floatToHalf(65504), 0x7BFF)
        XCTAssertEqual(floatToHalf(65520), 0x7C00)          // rounds to +inf, as NumPy does
        XCTAssertEqual(floatToHalf(-2.0), 0xC000)
        XCTAssertEqual(floatToHalf(5.960464477539063e-08), 0x0001)  // smallest subnormal
        XCTAssertEqual(roundToHalf(0.1), 0.0999755859375)
        XCTAssertEqual(floatToHalf(1 + 1.0 / 2048), 0x3C00)  // tie -> even
        XCTAssertEqual(floatToHalf(1 + 3.0 / 2048), 0x3C02)  // tie -> even (up)
    }

    func testRejectsGarbageWithReason() {
        XCTAssertThrowsError(try NPYArray.decode(Data("hello world!".utf8), path: "x.npy")) { error in
            XCTAssertTrue("\(error)".contains("x.npy"))
            XCTAssertTrue("\(error)".contains("magic"))
        }
        var truncated = NPYArray(shape: [100], floats: .init(repeating: 1, count: 100)).encoded()
        truncated.removeLast(10)
        XCTAssertThrowsError(try NPYArray.decode(truncated)) { error in
            XCTAssertTrue("\(error)".contains("expected 400 bytes"), "\(error)")
        }
    }
}
