import FADArrays
import FADFeatures

/// The log-mel front end the musicnn models use when given samples: FADFeatures'
/// `LogMelFrontEnd(.musicnn)` (musicnn's training front end, float16-rounded mel power).
public let defaultMusicnnFrontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)? = {
    let frontEnd = LogMelFrontEnd(.musicnn)
    return { try frontEnd($0) }
}()
