// expect-gnu: use of deleted function '[^']*rw_spinlock\(const [^']*rw_spinlock&\)'
// expect-clang: call to deleted constructor of '[^']*rw_spinlock'
//
// Must not compile: moving an rw_spinlock. The deleted copy constructor also suppresses the
// implicit move, so a move resolves to the deleted copy (as for std::shared_mutex): a lock
// that threads may be waiting on must stay where it is.
#include <syncmap/rw_spinlock.hpp>

#include <utility>

int main() {
  syncmap::rw_spinlock lock;
  syncmap::rw_spinlock moved(std::move(lock));
  static_cast<void>(moved);
}
