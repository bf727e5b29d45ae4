// expect-gnu: use of deleted function '[^']*rw_spinlock::operator=\(const
// expect-clang: overload resolution selected deleted operator '='
//
// Must not compile: copy-assigning an rw_spinlock. A lock's state (who holds it, who waits)
// cannot be duplicated; like std::shared_mutex it is neither copyable nor movable.
#include <syncmap/rw_spinlock.hpp>

int main() {
  syncmap::rw_spinlock a;
  syncmap::rw_spinlock b;
  b = a;
  static_cast<void>(b);
}
