/// A dense row-major matrix: the currency between pipeline stages.
///
/// Embeddings are `Matrix<Float>` of shape [frames, dimension]; log-mel spectrograms are
/// `Matrix<Float>` of shape [frames, bands]; covariances are `Matrix<Double>`. Row-major order
/// matches NumPy's default, so a matrix maps one-to-one onto an `.npy` file and onto the
/// `CblasRowMajor` calls of the numerical stages.
public struct Matrix<Scalar: BinaryFloatingPoint & Sendable>: Equatable, Sendable {
    public private(set) var rows: Int
    public let columns: Int
    /// `rows * columns` values, row after row.
    public var values: [Scalar]

    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "Matrix: \(values.count) values cannot fill \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        self.init(rows: rows, columns: columns, values: [Scalar](repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// One row as an array.
    public func row(_ index: Int) -> ArraySlice<Scalar> {
        values[index * columns ..< (index + 1) * columns]
    }

    /// Appends the rows of `other`, which must have the same number of columns.
    public mutating func appendRows(of other: Matrix<Scalar>) {
        precondition(other.columns == columns, "Matrix: cannot append \(other.columns) columns to \(columns)")
        values.append(contentsOf: other.values)
        rows += other.rows
    }

    /// The rows at `indices`, in that order.
    public func selectingRows<S: Sequence>(_ indices: S) -> Matrix<Scalar> where S.Element == Int {
        var out: [Scalar] = []
        var n = 0
        for i in indices { out.append(contentsOf: row(i)); n += 1 }
        return Matrix(rows: n, columns: columns, values: out)
    }
}

extension Matrix {
    /// Converts every value to another floating-point type.
    public func converted<Other: BinaryFloatingPoint & Sendable>(to: Other.Type = Other.self) -> Matrix<Other> {
        Matrix<Other>(rows: rows, columns: columns, values: values.map { Other($0) })
    }
}

extension NPYArray {
    /// The array as a matrix; a 1-D array becomes a single row.
    public func matrix<Scalar: BinaryFloatingPoint & Sendable>(of: Scalar.Type = Scalar.self) throws -> Matrix<Scalar> {
        switch shape.count {
        case 1: return Matrix(rows: 1, columns: shape[0], values: values.map { Scalar($0) })
        case 2: return Matrix(rows: shape[0], columns: shape[1], values: values.map { Scalar($0) })
        default: throw NPYError(path: "<array>", reason: "expected a 1-D or 2-D array, found shape \(shape)")
        }
    }

    /// The array as a matrix of embedding frames `[frames, dimension]`, or nil unless it is a
    /// float32 2-D array with at least one frame and one column and only finite values: what
    /// a cache entry must be to be trusted.
    public func embeddingFrames() -> Matrix<Float>? {
        guard shape.count == 2, dtype == .float32, shape[0] > 0, shape[1] > 0,
              values.allSatisfy(\.isFinite) else { return nil }
        return Matrix(rows: shape[0], columns: shape[1], values: values.map { Float($0) })
    }

    /// A float32 (or other dtype) array holding a matrix.
    public init<Scalar: BinaryFloatingPoint>(_ matrix: Matrix<Scalar>, dtype: DType = .float32) {
        self.init(shape: [matrix.rows, matrix.columns], dtype: dtype, values: matrix.values.map { Double($0) })
    }
}
