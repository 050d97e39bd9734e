import Foundation

/// The small data sets Mino ships, as files inside the package.
public enum ShippedData {
    /// `digits.csv`: 1,797 handwritten digits, 8×8 integer pixels 0–16 then the
    /// label, one image per line (the test part of UCI "Optical Recognition of
    /// Handwritten Digits", E. Alpaydin and C. Kaynak, 1998; CC BY 4.0).
    public static var digitsURL: URL? {
        Bundle.module.url(forResource: "digits", withExtension: "csv")
    }

    /// `gettysburg-declaration.txt`: Lincoln's Gettysburg Address (1863) and most of the
    /// Declaration of Independence (1776), both in the public domain (data/README.md).
    public static var textURL: URL? {
        Bundle.module.url(forResource: "gettysburg-declaration", withExtension: "txt")
    }
}
