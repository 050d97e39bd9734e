import MinoCore
import MinoReference

enum MinoReferenceFactory {
    static func make() -> any Backend { ReferenceBackend() }
}
