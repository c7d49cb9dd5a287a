import FADArrays

/// How a file's embedding frames become the one vector per file that MAD and PRDC compare.
public enum EmbeddingPooling: String, Codable, Sendable, CaseIterable {
    /// Element-wise maximum over frames (MAD's choice for MERT).
    case max
    /// Element-wise mean over frames.
    case mean

    /// One row per file, in the given order.
    /// - Throws: on a file without frames or of another width, naming it.
    public func pool(_ files: [(name: String, frames: Matrix<Float>)]) throws -> Matrix<Float> {
        guard let d = files.first?.frames.columns else { return Matrix(rows: 0, columns: 0) }
        var values: [Float] = []
        values.reserveCapacity(files.count * d)
        for f in files {
            guard f.frames.columns == d else {
                throw MetricsError.invalid("embedding has \(f.frames.columns) dimensions, the first file has \(d)", subject: f.name)
            }
            guard f.frames.rows > 0 else { throw MetricsError.invalid("no embedding frames", subject: f.name) }
            switch self {
            case .max:
                var row = Array(f.frames.row(0))
                for r in 1..<f.frames.rows {
                    for (j, v) in f.frames.row(r).enumerated() { row[j] = Swift.max(row[j], v) }
                }
                values += row
            case .mean:
                var sum = [Double](repeating: 0, count: d)
                for r in 0..<f.frames.rows {
                    for (j, v) in f.frames.row(r).enumerated() { sum[j] += Double(v) }
                }
                values += sum.map { Float($0 / Double(f.frames.rows)) }
            }
        }
        return Matrix(rows: files.count, columns: d, values: values)
    }
}
