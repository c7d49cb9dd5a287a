import XCTest
import FADNN
import _FADTestSupport

/// FADNN's sequence layers against PyTorch's own modules (torch.nn, and EnCodec's SConv1d/SLSTM as
/// published), from Tests/Fixtures/scripts/nn_layers_reference.py: seeded random weights in
/// PyTorch's layouts and names, converted by the layers' own initialisers, and float64 outputs.
///
/// Tolerance: max |swift - torch| / max |torch| <= 1e-5. The weights and inputs are exactly the
/// float32 values torch ran on, so the only difference is float32 rounding in FADNN: sums of at
/// most a few hundred products (each ~6e-8 relative) and float32 exp/erf/tanh, which stay below
/// ~1e-6 of the output's scale (also through the 11 recurrent LSTM steps). A wrong layout, tap,
/// padding sample, gate order, head split or normalisation axis changes outputs by O(1) relative.
final class TorchLayerTests: XCTestCase {
    static let tolerance = 1e-5

    struct Case {
        let name: String
        let file: SafetensorsFile

        init(_ name: String) throws {
            self.name = name
            file = try SafetensorsFile(contentsOf: Fixtures.url("nn/layers/\(name).safetensors"))
        }

        func tensor(_ key: String) throws -> Tensor { try file.tensor(key) }
        func optional(_ key: String) throws -> Tensor? { file.entries[key] == nil ? nil : try file.tensor(key) }
        func int(_ key: String) -> Int { Int(file.metadata[key]!)! }
        func float(_ key: String) -> Float { Float(Double(file.metadata[key]!)!) }

        /// Compares in PyTorch's layout; `toTorch` maps FADNN's output back to it.
        func check(_ actual: Tensor, toTorch order: [Int]? = nil, file line: StaticString = #filePath, line number: UInt = #line) throws {
            let expected = try tensor("output")
            let torchLayout = order.map { actual.permuted($0) } ?? actual
            XCTAssertEqual(torchLayout.shape, expected.shape, name, file: line, line: number)
            guard torchLayout.shape == expected.shape else { return }
            let error = maxRelativeDifference(torchLayout.values, expected.values)
            XCTAssertLessThanOrEqual(error, TorchLayerTests.tolerance, name, file: line, line: number)
        }
    }

    /// PyTorch's [N, C, T] as FADNN's [N, T, C], and back.
    static let channelsLast = [0, 2, 1]

    func testConv1dMatchesTorch() throws {
        for name in ["conv1d_basic", "conv1d_stride_dilation", "conv1d_grouped", "conv1d_depthwise",
                     "conv1d_depthwise_multiplier", "conv1d_reflect", "conv1d_pointwise", "conv1d_single_input_channel", "conv1d_depthwise_wide"] {
            let c = try Case(name)
            let p = c.int("padding")
            let conv = try Conv1D(weight: c.tensor("weight"), bias: c.tensor("bias"), stride: c.int("stride"),
                                  dilation: c.int("dilation"), groups: c.int("groups"), padding: .symmetric(p),
                                  paddingMode: c.file.metadata["padding_mode"] == "reflect" ? .reflect : .zeros)
            let x = try c.tensor("input").permuted(Self.channelsLast)
            XCTAssertEqual(conv.outputLength(x.shape[1]), try c.tensor("output").shape[2], name)
            try c.check(conv(x), toTorch: Self.channelsLast)
        }
    }

    /// EnCodec's SConv1d: causal and asymmetric padding with the extra right padding, reflect
    /// padding (also on an input shorter than the padding), weight norm folded, GroupNorm(1, C).
    func testEncodecStreamingConv1dMatchesTorch() throws {
        for name in ["sconv_causal_weightnorm", "sconv_causal_downsample", "sconv_causal_dilated",
                     "sconv_causal_short_input", "sconv_groupnorm_downsample", "sconv_noncausal_odd_stride"] {
            let c = try Case(name)
            let weight = c.file.metadata["norm"] == "weight_norm"
                ? try WeightNorm.folded(g: c.tensor("conv.conv.weight_g"), v: c.tensor("conv.conv.weight_v"), dim: 0, name: "conv.conv")
                : try c.tensor("conv.conv.weight")
            let conv = try Conv1D(weight: weight, bias: c.tensor("conv.conv.bias"), stride: c.int("stride"),
                                  dilation: c.int("dilation"), padding: .streaming(causal: c.int("causal") == 1),
                                  paddingMode: .reflect, name: "conv.conv")
            var y = conv(try c.tensor("input").permuted(Self.channelsLast))
            if c.file.metadata["norm"] == "time_group_norm" {
                let norm = try GroupNorm(weight: c.tensor("conv.norm.weight"), bias: c.tensor("conv.norm.bias"),
                                         groups: 1, channels: conv.outputChannels, name: "conv.norm")
                norm.apply(to: &y)
            }
            try c.check(y, toTorch: Self.channelsLast)
        }
    }

    func testActivationsMatchTorch() throws {
        for name in ["elu_alpha1", "elu_alpha0.5"] {
            let c = try Case(name)
            try c.check(ELU(alpha: c.float("alpha"))(c.tensor("input")))
        }
        try Case("gelu_exact").check(GELU()(Case("gelu_exact").tensor("input")))
        try Case("gelu_tanh").check(GELU(approximation: .tanh)(Case("gelu_tanh").tensor("input")))
        // The two GELUs differ visibly on these inputs, so each test can tell them apart.
        let x = try Case("gelu_exact").tensor("input")
        XCTAssertGreaterThan(maxAbsDifference(GELU()(x).values, GELU(approximation: .tanh)(x).values), 1e-4)
    }

    func testLayerNormMatchesTorch() throws {
        for name in ["layernorm_affine", "layernorm_eps6_odd", "layernorm_plain"] {
            let c = try Case(name)
            let x = try c.tensor("input")
            let norm = try LayerNorm(weight: c.optional("weight"), bias: c.optional("bias"), size: x.shape.last!,
                                     epsilon: c.float("eps"))
            XCTAssertEqual(norm.weight == nil, c.int("affine") == 0, name)
            try c.check(norm(x))
        }
    }

    func testGroupNormMatchesTorch() throws {
        for name in ["groupnorm_one_group", "groupnorm_four_groups", "groupnorm_per_channel"] {
            let c = try Case(name)
            let x = try c.tensor("input").permuted(Self.channelsLast)
            let norm = try GroupNorm(weight: c.tensor("weight"), bias: c.tensor("bias"), groups: c.int("groups"),
                                     channels: x.shape[2], epsilon: c.float("eps"))
            try c.check(norm(x), toTorch: Self.channelsLast)
        }
    }

    func testLSTMMatchesTorch() throws {
        for name in ["lstm_two_layers", "lstm_one_layer"] {
            let c = try Case(name)
            let lstm = try LSTM(tensors: c.file.names.reduce(into: [:]) { $0[$1] = try? c.tensor($1) }, prefix: "",
                                layers: c.int("layers"))
            XCTAssertEqual(lstm.layers.count, c.int("layers"))
            XCTAssertEqual(lstm.hiddenSize, c.int("hidden"))
            // nn.LSTM is sequence-first [T, N, C].
            try c.check(lstm(try c.tensor("input").permuted([1, 0, 2])), toTorch: [1, 0, 2])
        }
        // EnCodec's SLSTM: [N, C, T] in and out, the input added as a skip connection.
        let c = try Case("slstm_skip")
        let lstm = try LSTM(tensors: c.file.names.reduce(into: [:]) { $0[$1] = try? c.tensor($1) }, prefix: "lstm", layers: 2)
        let x = try c.tensor("input").permuted(Self.channelsLast)
        try c.check(lstm(x) + x, toTorch: Self.channelsLast)
    }

    func testAttentionMatchesTorch() throws {
        for name in ["mha_packed", "mha_packed_causal_mask", "mha_long"] {
            let c = try Case(name)
            let attention = try MultiHeadAttention(inProjWeight: c.tensor("in_proj_weight"), inProjBias: c.tensor("in_proj_bias"),
                                                   outWeight: c.tensor("out_proj.weight"), outBias: c.tensor("out_proj.bias"),
                                                   heads: c.int("heads"))
            let biases = try c.optional("mask").map { [AttentionBias.shared($0)] } ?? []
            try c.check(attention(try c.tensor("input"), biases: biases))
        }

        // Swin: packed qkv Linear, a relative position bias per head plus a mask per window.
        let swin = try Case("attention_swin_bias_mask")
        let windowed = try MultiHeadAttention(inProjWeight: swin.tensor("qkv.weight"), inProjBias: swin.tensor("qkv.bias"),
                                              outWeight: swin.tensor("proj.weight"), outBias: swin.tensor("proj.bias"),
                                              heads: swin.int("heads"))
        try swin.check(windowed(try swin.tensor("input"), biases: [.perHead(try swin.tensor("relative_position_bias")),
                                                                    .perItem(try swin.tensor("mask"))]))

        // The relative position bias gathered from Swin's table as Swin does.
        let relative = try Case("relative_position_bias")
        let gathered = try AttentionBias.swinRelativePosition(table: relative.tensor("relative_position_bias_table"),
                                                              windowHeight: relative.int("window_height"),
                                                              windowWidth: relative.int("window_width"))
        XCTAssertEqual(gathered.values, try relative.tensor("output").values)  // a gather is exact
        XCTAssertEqual([gathered.groups, gathered.heads, gathered.queries], [1, relative.int("heads"), 12])

        // HuBERT: separate projections.
        let hubert = try Case("attention_separate_projections")
        func t(_ p: String, _ s: String) throws -> Tensor { try hubert.tensor("\(p).\(s)") }
        let separate = try MultiHeadAttention(queryWeight: t("q_proj", "weight"), queryBias: t("q_proj", "bias"),
                                              keyWeight: t("k_proj", "weight"), keyBias: t("k_proj", "bias"),
                                              valueWeight: t("v_proj", "weight"), valueBias: t("v_proj", "bias"),
                                              outWeight: t("out_proj", "weight"), outBias: t("out_proj", "bias"),
                                              heads: hubert.int("heads"))
        try hubert.check(separate(try hubert.tensor("input")))
    }

    func testLinearMatchesTorch() throws {
        let c = try Case("linear")
        let linear = try Dense(linearWeight: c.tensor("weight"), bias: c.tensor("bias"))
        try c.check(linear.applied(toLastAxis: try c.tensor("input")))
        let plain = try Case("linear_no_bias")
        try plain.check(try Dense(linearWeight: plain.tensor("weight"), bias: nil)(plain.tensor("input")))
        XCTAssertThrowsError(try Dense(linearWeight: c.tensor("weight"), bias: Tensor(shape: [12]), name: "fc")) { error in
            XCTAssertEqual((error as? NNError)?.path, "fc.bias")
        }
    }

    func testPositionalEmbeddingsMatchTorch() throws {
        let learned = try Case("posemb_learned")
        try learned.check(try LearnedPositionalEmbedding(table: learned.tensor("pos_embed"))(learned.tensor("input")))

        let grid = try Case("posemb_frequency_time")
        let embedding = try FrequencyTimePositionalEmbedding(frequency: grid.tensor("freq_new_pos_embed"),
                                                             time: grid.tensor("time_new_pos_embed"))
        let patches = try grid.tensor("input")  // [N, D, F, T]
        let (n, d, f, t) = (patches.shape[0], patches.shape[1], patches.shape[2], patches.shape[3])
        try grid.check(embedding(patches.permuted([0, 2, 3, 1]).reshaped([n, f * t, d]), times: t))

        // HuBERT's positional convolution, weight norm over the kernel axis (dim 2), in both of
        // PyTorch's weight-norm spellings.
        for (name, g, v) in [("posconv_even_kernel", "weight_g", "weight_v"),
                             ("posconv_odd_kernel", "parametrizations.weight.original0", "parametrizations.weight.original1")] {
            let c = try Case(name)
            let weight = try WeightNorm.folded(g: c.tensor(g), v: c.tensor(v), dim: 2, name: "conv")
            let conv = try ConvolutionalPositionalEmbedding(weight: weight, bias: c.tensor("bias"), groups: c.int("groups"))
            XCTAssertEqual(conv.convolution.kernelSize, c.int("kernel"))
            try c.check(conv(try c.tensor("input")))
        }
    }

    /// Mismatched tensors throw errors that name the tensor; nothing traps.
    func testShapeErrorsNameTheTensor() throws {
        let weight = Tensor(shape: [6, 2, 3], repeating: 0.1)
        XCTAssertThrowsError(try Conv1D(weight: weight, bias: Tensor(shape: [5]), groups: 2, name: "encoder.model.0.conv.conv")) { error in
            XCTAssertEqual((error as? NNError)?.kind, .shapeMismatch)
            XCTAssertEqual((error as? NNError)?.path, "encoder.model.0.conv.conv.bias")
            XCTAssertTrue("\(error)".contains("[6]"), "\(error)")
        }
        XCTAssertThrowsError(try Conv1D(weight: weight, bias: nil, groups: 4, name: "c")) { error in
            XCTAssertEqual((error as? NNError)?.path, "c.weight")
        }
        XCTAssertThrowsError(try WeightNorm.folded(g: Tensor(shape: [6, 1, 1]), v: weight, dim: 2, name: "pos")) { error in
            XCTAssertEqual((error as? NNError)?.path, "pos.weight_g")
        }
        XCTAssertThrowsError(try LSTM(tensors: ["l.weight_ih_l0": Tensor(shape: [8, 3]), "l.weight_hh_l0": Tensor(shape: [8, 2])],
                                      prefix: "l", layers: 2)) { error in
            XCTAssertEqual((error as? NNError)?.kind, .missingTensor)
            XCTAssertEqual((error as? NNError)?.path, "l.weight_ih_l1")
        }
        XCTAssertThrowsError(try LSTM(layers: [.init(weightIH: Tensor(shape: [8, 3]), weightHH: Tensor(shape: [8, 3]),
                                                     biasIH: nil, biasHH: nil)], name: "l")) { error in
            XCTAssertEqual((error as? NNError)?.path, "l.weight_ih_l0")
        }
        XCTAssertThrowsError(try MultiHeadAttention(inProjWeight: Tensor(shape: [12, 4]), inProjBias: Tensor(shape: [11]),
                                                    outWeight: Tensor(shape: [4, 4]), outBias: nil, heads: 2, name: "attn")) { error in
            XCTAssertEqual((error as? NNError)?.path, "attn.in_proj_bias")
        }
        XCTAssertThrowsError(try LayerNorm(weight: Tensor(shape: [7]), bias: nil, size: 8, name: "ln")) { error in
            XCTAssertEqual((error as? NNError)?.path, "ln.weight")
        }
    }

    /// Tiles depend on shapes only: any worker count gives the same bits.
    func testResultsDoNotDependOnWorkerCount() throws {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        var state: UInt32 = 7
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / 8_388_608 - 1
            })
        }
        let conv = try Conv1D(weight: random([16, 4, 5]), bias: random([16]), stride: 2, groups: 2, padding: .symmetric(2))
        let depthwise = try Conv1D(weight: random([8, 1, 3]), bias: nil, groups: 8, padding: .streaming(causal: true),
                                   paddingMode: .reflect)
        let attention = try MultiHeadAttention(inProjWeight: random([24, 8]), inProjBias: random([24]),
                                               outWeight: random([8, 8]), outBias: random([8]), heads: 2)
        let lstm = try LSTM(layers: (0..<2).map { l in
            LSTM.TorchLayer(weightIH: random([800, l == 0 ? 8 : 200]), weightHH: random([800, 200]),
                            biasIH: random([800]), biasHH: random([800]))
        })
        let groupNorm = try GroupNorm(weight: random([8]), bias: random([8]), groups: 2, channels: 8)
        let long = random([2, 5000, 8])  // three position tiles per item
        let x8 = random([3, 700, 8])
        var results: [[[Float]]] = []
        for workers in [1, 2, 3] {
            BLAS.threads = workers
            results.append([conv(x8).values, depthwise(x8).values, attention(x8).values,
                            lstm(x8.slice(batch: 0, count: 1)).values, lstm(x8.slice(batch: 1, count: 2)).values,
                            groupNorm(long).values])
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }
}
