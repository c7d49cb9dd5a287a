// The umbrella module: `import FAD` gives every stage of the pipeline.
@_exported import FADArrays
@_exported import FADAudio
@_exported import FADFeatures
@_exported import FADNN
@_exported import FADModels
@_exported import FADStats
@_exported import FADMetrics
@_exported import FADPipeline
@_exported import FADReport
