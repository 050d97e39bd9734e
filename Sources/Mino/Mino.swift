// The umbrella module: `import Mino` gives Core, the Model layer and every
// built-in backend, registered by name, with `blas` as the default.

@_exported import MinoCore
@_exported import MinoReference
@_exported import MinoBLAS
@_exported import MinoTorch
@_exported import MinoCPU
@_exported import MinoModel
