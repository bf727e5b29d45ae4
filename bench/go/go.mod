module syncmap/bench/go

go 1.19
