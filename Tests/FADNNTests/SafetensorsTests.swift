import XCTest
import Foundation
import FADNN
import _FADTestSupport

final class SafetensorsTests: XCTestCase {
    /// Builds a file from a raw header string and data bytes (to forge malformed files).
    private func file(header: String, data: [UInt8], lyingLength: UInt64? = nil) -> Data {
        var out = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: (lyingLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(contentsOf: data)
        return out
    }

    private func expect(_ kind: NNError.Kind, _ data: Data, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(data: data, path: "bad.safetensors"), file: file, line: line) { error in
            guard let e = error as? NNError else { return XCTFail("not an NNError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, e.description, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix("bad.safetensors: "), e.description, file: file, line: line)
        }
    }

    func testRoundTripAllDTypesAndMetadata() throws {
        var writer = SafetensorsWriter(metadata: ["source": "test"])
        let values: [Float] = [0, 1, -2.5, 0.333251953125, 65504, -1e-3]
        writer.add("a.f32", Tensor(shape: [2, 3], values: values))
        writer.add("b.f16", Tensor(shape: [6], values: values), dtype: .f16)
        writer.add("c.bf16", Tensor(shape: [3, 2], values: values), dtype: .bf16)
        writer.add("d.f64", Tensor(shape: [1, 6], values: values), dtype: .f64)
        writer.add("empty", Tensor(shape: [0, 4], values: []))
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.safetensors")
        try writer.write(to: url)
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.metadata, ["source": "test"])
        XCTAssertEqual(file.names, ["a.f32", "b.f16", "c.bf16", "d.f64", "empty"])
        XCTAssertEqual(try file.tensor("a.f32").values, values)
        XCTAssertEqual(try file.tensor("a.f32").shape, [2, 3])
        XCTAssertEqual(try file.tensor("d.f64").values, values)
        // Half precision: each value within its format's rounding (2^-11 and 2^-8 relative).
        for (got, want) in zip(try file.tensor("b.f16").values, values) { XCTAssertEqual(got, want, accuracy: abs(want) * 4.9e-4) }
        for (got, want) in zip(try file.tensor("c.bf16").values, values) { XCTAssertEqual(got, want, accuracy: abs(want) * 3.9e-3) }
        XCTAssertEqual(try file.tensor("empty").shape, [0, 4])
        XCTAssertEqual(file.entries["b.f16"]?.dtype, .f16)
    }

    func testReadsTheExportedMusicnnWeights() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Models/musicnn/MSD_musicnn.safetensors")
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.entries.count, 64)
        XCTAssertEqual(try file.tensor("conv2d/kernel").shape, [7, 38, 1, 204])
        XCTAssertEqual(file.metadata["parameters"], "792079")
    }

    func testMalformedFilesEachGetTheirOwnError() throws {
        let good = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        let bytes = [UInt8](repeating: 0, count: 8)
        XCTAssertNoThrow(try SafetensorsFile(data: file(header: good, data: bytes)))

        expect(.truncated, Data([1, 2, 3]))
        expect(.truncated, file(header: good, data: bytes).prefix(20))            // header cut
        expect(.truncated, file(header: good, data: bytes, lyingLength: 10_000)) // lying length
        expect(.headerTooLarge, file(header: good, data: bytes, lyingLength: UInt64.max))
        expect(.invalidHeader, file(header: "{\"w\": [1, 2", data: bytes))
        expect(.invalidHeader, file(header: "[1, 2, 3]", data: bytes))
        expect(.invalidHeader, file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", data: bytes))
        expect(.invalidHeader, file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", data: bytes))
        expect(.invalidHeader, file(header: "{\"__metadata__\":{\"a\":1}}", data: []))
        expect(.unsupportedDType, file(header: "{\"w\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: bytes))
        expect(.sizeMismatch, file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: bytes))
        expect(.sizeMismatch, file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: bytes))
        expect(.offsetOutOfRange, file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", data: bytes))
        expect(.overlappingRanges, file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: bytes))

        let valid = try SafetensorsFile(data: file(header: good, data: bytes), path: "ok.safetensors")
        XCTAssertThrowsError(try valid.tensor("missing")) { XCTAssertEqual(($0 as? NNError)?.kind, .missingTensor) }
        XCTAssertThrowsError(try valid.tensor("w", shape: [1, 2])) { XCTAssertEqual(($0 as? NNError)?.kind, .shapeMismatch) }
        XCTAssertEqual(try valid.tensor("w", shape: [2]).values, [0, 0])
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) {
            XCTAssertEqual(($0 as? NNError)?.kind, .unreadable)
        }
    }
}
