// FADPipeline: Turns inputs (folders, lists, embedding folders, statistics files) into embeddings and statistics, with a content-addressed cache.
