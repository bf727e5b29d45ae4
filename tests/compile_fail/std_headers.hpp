// The standard headers that syncmap's headers and the compile-fail cases include, precompiled
// once per ctest run by the "compile_fail: precompile the standard headers" fixture and
// pre-included (-include) into every compile: parsing them is most of the cost of each
// -fsyntax-only run. Purely an accelerator: without the precompiled file the compiler reads
// this header as text, with the same result. Standard headers only, never syncmap's, which
// are what the tests check and may change between runs.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>
