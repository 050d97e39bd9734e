import XCTest
import MinoLang

/// The layer functions from `.mu` code, with torch's argument names, on every backend.
final class LayerFunctionTests: XCTestCase {
    static let prelude = "(import torch [torch.nn.functional :as F]) "
    static let cases: [(source: String, printed: String)] = [
        ("(. (F.conv2d (torch.ones [1 1 4 4]) (torch.ones [2 1 3 3]) :padding 1) shape)", "(, 1 2 4 4)"),
        ("(.tolist (F.conv2d (torch.ones [1 1 3 3]) (torch.ones [1 1 3 3]) (torch.tensor [0.5])))", "[[[[9.5]]]]"),
        ("(. (F.conv1d (torch.ones [2 4 9]) (torch.ones [6 2 3]) :stride 2 :groups 2) shape)", "(, 2 6 4)"),
        ("(. (F.conv_transpose2d (torch.ones [1 2 3 3]) (torch.ones [2 1 3 3]) :stride 2) shape)", "(, 1 1 7 7)"),
        ("(.tolist (F.max_pool2d (torch.tensor [[[[1.0 2.0] [4.0 3.0]]]]) 2))", "[[[[4.0]]]]"),
        ("(.tolist (F.avg_pool2d (torch.tensor [[[[1.0 2.0] [4.0 3.0]]]]) 2))", "[[[[2.5]]]]"),
        ("(. (F.adaptive_avg_pool2d (torch.ones [1 2 5 7]) [2 3]) shape)", "(, 1 2 2 3)"),
        ("(. (torch.flatten (torch.ones [2 3 4]) 1) shape)", "(, 2 12)"),
        ("(.tolist (F.embedding (torch.tensor [2 0]) (torch.tensor [[1.0] [2.0] [3.0]])))", "[[3.0] [1.0]]"),
        ("(.tolist (F.leaky_relu (torch.tensor [-1.0 2.0]) :negative_slope 0.5))", "[-0.5 2.0]"),
        ("(.tolist (F.elu (torch.tensor [0.0 2.0])))", "[0.0 2.0]"),
        ("(.tolist (F.nll_loss (torch.tensor [[-1.0 -2.0] [-3.0 -4.0]]) (torch.tensor [1 0])))", "2.5"),
        ("(.tolist (F.batch_norm (torch.tensor [[1.0] [3.0]]) (torch.tensor [2.0]) (torch.ones [1]) :eps 0.0))",
         "[[-1.0] [1.0]]"),
        ("(F.batch_norm (torch.tensor [[1.0] [3.0]]) (torch.zeros [1]) (torch.ones [1]) :training True :eps 0.0)",
         "error: <command line>:1:44: batchNorm: eps 0.0 must be positive when training"),
        ("(F.conv2d (torch.ones [1 3 4 4]) (torch.ones [2 1 3 3]))", "error: <command line>:1:44: conv2d: shapes "
            + "[1 3 4 4] and [2 1 3 3] and [2]: the input's 3 channels must equal the weight's 1 per group × 1 groups, "
            + "and its 2 outputs must divide by 1"),
        ("(F.max_pool2d (torch.ones [1 1 2 2]) 3)", "error: <command line>:1:44: maxPool2d: shapes [1 1 2 2]: "
            + "the kernel 3×3 (dilation [1, 1]) is larger than the padded input 2×2"),
    ]

    func testLayerFunctionsOnEveryBackend() {
        for backend in LangTestSupport.allBackends {
            for (source, printed) in Self.cases {
                XCTAssertEqual(LangTestSupport.eval(Self.prelude + source, backend: backend), printed, "\(backend): \(source)")
            }
        }
    }
}
