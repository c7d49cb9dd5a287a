// FADModels: Embedding and classifier models (musicnn, VGGish, PANNs CNN14), their registry and weight loading.
