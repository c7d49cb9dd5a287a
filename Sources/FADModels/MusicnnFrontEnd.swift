import FADArrays

/// The log-mel front end the musicnn models use by default when given samples.
/// Replaced by FADFeatures' `LogMelFrontEnd(.musicnn)` once that module provides it.
public let defaultMusicnnFrontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)? = nil
