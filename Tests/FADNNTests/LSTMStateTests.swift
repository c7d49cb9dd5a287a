import XCTest
@testable import FADNN
import _FADTestSupport

/// A sequence cut into consecutive chunks with the LSTM state carried from one to the next gives
/// the outputs of the whole sequence (which TorchLayerTests checks against PyTorch), for one item
/// (the GEMV path) and a batch (the GEMM path).
final class LSTMStateTests: XCTestCase {
    func testCarriedStateEqualsOnePass() throws {
        var seed: UInt64 = 5
        func values(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return (Float(seed >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }
        let input = 6, hidden = 8
        let layers = (0..<2).map { l in
            LSTM.TorchLayer(weightIH: Tensor(shape: [4 * hidden, l == 0 ? input : hidden], values: values(4 * hidden * (l == 0 ? input : hidden), scale: 0.5)),
                            weightHH: Tensor(shape: [4 * hidden, hidden], values: values(4 * hidden * hidden, scale: 0.5)),
                            biasIH: Tensor(shape: [4 * hidden], values: values(4 * hidden, scale: 0.1)),
                            biasHH: Tensor(shape: [4 * hidden], values: values(4 * hidden, scale: 0.1)))
        }
        let lstm = try LSTM(layers: layers)
        for items in [1, 3] {
            let steps = 11
            let x = Tensor(shape: [items, steps, input], values: values(items * steps * input, scale: 1))
            let whole = lstm(x)
            var state: LSTM.State?
            var pieces: [[Float]] = Array(repeating: [], count: items)
            for (start, end) in [(0, 4), (4, 5), (5, 11)] {
                var chunk: [Float] = []
                for i in 0..<items { chunk += x.values[((i * steps + start) * input) ..< ((i * steps + end) * input)] }
                let out = lstm(Tensor(shape: [items, end - start, input], values: chunk), state: &state)
                for i in 0..<items { pieces[i] += out.values[(i * (end - start) * hidden) ..< ((i + 1) * (end - start) * hidden)] }
            }
            XCTAssertLessThan(maxAbsDifference(pieces.flatMap { $0 }, whole.values), 1e-6, "\(items) items")
            // The carried state is the last step's hidden state of the last layer.
            var last: [Float] = []
            for i in 0..<items {
                let end = (i * steps + steps) * hidden
                last += whole.values[(end - hidden) ..< end]
            }
            XCTAssertEqual(state?.hidden[1], last)
        }
    }
}
