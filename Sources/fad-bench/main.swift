// fad-bench: benchmarks (not tests). Each stage registers its benchmarks here.
print("fad-bench")
