/// An affine transformation [a b c d e f] (§8.3.3); `p' = p × M`.
struct Matrix: Sendable {
    var a = 1.0, b = 0.0, c = 0.0, d = 1.0, e = 0.0, f = 0.0

    static let identity = Matrix()

    init() {}
    init(_ v: [Double]) {
        guard v.count == 6 else { return }
        (a, b, c, d, e, f) = (v[0], v[1], v[2], v[3], v[4], v[5])
    }

    static func translation(_ tx: Double, _ ty: Double) -> Matrix { Matrix([1, 0, 0, 1, tx, ty]) }

    /// self × other (apply self first, then other).
    func concatenating(_ m: Matrix) -> Matrix {
        Matrix([
            a * m.a + b * m.c, a * m.b + b * m.d,
            c * m.a + d * m.c, c * m.b + d * m.d,
            e * m.a + f * m.c + m.e, e * m.b + f * m.d + m.f,
        ])
    }

    func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (x * a + y * c + e, x * b + y * d + f)
    }
}
