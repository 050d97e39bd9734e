import Foundation
import MinoCore
import MinoData

/// A text as character ids: the vocabulary is its distinct characters in
/// sorted order; the last `validationFraction` of the text is held out.
public struct CharCorpus: Sendable {
    public let vocabulary: [Character]
    public let train: [Int64]
    public let validation: [Int64]

    public init(text: String, validationFraction: Double = 0.1) throws {
        let chars = Array(text)
        vocabulary = Array(Set(chars)).sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, Int64($0.offset)) })
        let ids = chars.compactMap { index[$0] }
        let held = Int(Double(ids.count) * validationFraction)
        guard ids.count - held > 2, held > 2 else {
            throw MinoError.argument("CharCorpus", "a text of \(ids.count) characters is too short to split")
        }
        train = Array(ids[..<(ids.count - held)])
        validation = Array(ids[(ids.count - held)...])
    }

    /// The shipped text (`data/gettysburg-declaration.txt`).
    public static func shipped() throws -> CharCorpus {
        guard let url = ShippedData.textURL else {
            throw MinoError(.io, "char corpus: the shipped text is missing from the package resources")
        }
        do {
            return try CharCorpus(text: try String(contentsOf: url, encoding: .utf8))
        } catch let error as MinoError {
            throw error
        } catch {
            throw MinoError(.io, "char corpus: cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}

/// Embedding → LSTM → linear to the vocabulary; PyTorch's names (`embedding.weight`,
/// `lstm.weight_ih_l0`, …, `decoder.weight`, `decoder.bias`).
public final class CharLanguageModel: Module {
    public let embedding: Embedding
    public let lstm: Recurrent
    public let decoder: Linear

    public init(vocabulary: Int, embedding size: Int, hidden: Int, layers: Int = 1, dtype: DType = .float32,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        embedding = try Embedding(vocabulary, size, dtype: dtype, generator: generator, on: backend)
        lstm = try LSTM(inputSize: size, hiddenSize: hidden, numLayers: layers, dtype: dtype, generator: generator,
                        on: backend)
        decoder = try Linear(hidden, vocabulary, dtype: dtype, generator: generator, on: backend)
    }

    /// Logits `[T·N vocabulary]` for ids `[T N]`, from a zero state.
    public func callAsFunction(_ ids: Tensor) throws -> Tensor {
        try decoder(try lstm(embedding(ids)).reshape([-1, lstm.hiddenSize]))
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        embedding.namedParameters.map { ("embedding.\($0.name)", $0.tensor) }
            + lstm.namedParameters.map { ("lstm.\($0.name)", $0.tensor) }
            + decoder.namedParameters.map { ("decoder.\($0.name)", $0.tensor) }
    }
}

/// Training the character model the way `Examples/char_lstm_torch.py` does in
/// PyTorch, step for step, so the two validation perplexities can be compared.
public enum CharLanguageModelTraining {
    public struct Settings: Sendable {
        public var sequence = 35
        public var batch = 16
        public var embedding = 32
        public var hidden = 128
        public var steps = 300
        public var learningRate = 0.005
        public var seed: UInt64 = 0
        public init() {}
    }

    /// The text cut into `batch` equal streams, as `[streamLength, batch]` row-major ids.
    static func streams(_ ids: [Int64], batch: Int) -> (ids: [Int64], length: Int) {
        let n = ids.count / batch
        var out = [Int64](repeating: 0, count: n * batch)
        for b in 0..<batch {
            for t in 0..<n { out[t * batch + b] = ids[b * n + t] }
        }
        return (out, n)
    }

    /// Window `start..<start+T` of the streams and its next-character targets.
    static func window(_ s: (ids: [Int64], length: Int), batch: Int, start: Int, length t: Int,
                       on backend: any Backend) throws -> (Tensor, Tensor) {
        let inputs = Array(s.ids[(start * batch)..<((start + t) * batch)])
        let targets = Array(s.ids[((start + 1) * batch)..<((start + 1 + t) * batch)])
        return (try Tensor(inputs, shape: [t, batch], on: backend), try Tensor(targets, shape: [t * batch], on: backend))
    }

    /// exp(mean cross-entropy) over consecutive windows of the validation text (4 streams).
    public static func perplexity(_ model: CharLanguageModel, _ ids: [Int64], sequence: Int,
                                  on backend: any Backend) throws -> Double {
        let s = streams(ids, batch: 4)
        var total = 0.0, count = 0
        try withoutGradients {
            var start = 0
            while start + sequence + 1 <= s.length {
                let (x, y) = try window(s, batch: 4, start: start, length: sequence, on: backend)
                total += try Loss.crossEntropy(model(x), y).item()
                count += 1
                start += sequence
            }
        }
        guard count > 0 else { throw MinoError.argument("perplexity", "the validation text is shorter than a window") }
        return Foundation.exp(total / Double(count))
    }

    /// Trains from Mino's seeded initialisation with Adam on windows taken in order
    /// (window k starts at k·T modulo the stream); returns the model, its initial
    /// parameters (for the PyTorch side) and the validation perplexity.
    public static func train(_ corpus: CharCorpus, _ settings: Settings, on backend: any Backend,
                             progress: (Int, Double) -> Void = { _, _ in }) throws
        -> (model: CharLanguageModel, initial: [(name: String, values: [Double])], perplexity: Double) {
        let model = try CharLanguageModel(vocabulary: corpus.vocabulary.count, embedding: settings.embedding,
                                          hidden: settings.hidden, generator: RandomGenerator(seed: settings.seed),
                                          on: backend)
        let initial = try model.namedParameters.map { ($0.name, try $0.tensor.doubles()) }
        let s = streams(corpus.train, batch: settings.batch)
        let span = s.length - settings.sequence - 1
        guard span > 0 else { throw MinoError.argument("char-lstm", "the training text is shorter than a window") }
        let adam = try Adam(model.parameters, learningRate: settings.learningRate)
        for step in 0..<settings.steps {
            let start = (step * settings.sequence) % span
            let (x, y) = try window(s, batch: settings.batch, start: start, length: settings.sequence, on: backend)
            adam.zeroGrad()
            let loss = try Loss.crossEntropy(model(x), y)
            try loss.backward()
            try adam.step()
            progress(step + 1, try loss.item())
        }
        return (model, initial, try perplexity(model, corpus.validation, sequence: settings.sequence, on: backend))
    }
}
