// expect-gnu: use of deleted function '[^']*rw_spinlock\(const [^']*rw_spinlock&\)'
// expect-clang: call to deleted constructor of '[^']*rw_spinlock'
//
// Must not compile: copying an rw_spinlock. A lock's state (who holds it, who waits) cannot
// be duplicated; like std::shared_mutex it is neither copyable nor movable.
#include <syncmap/rw_spinlock.hpp>

int main() {
  syncmap::rw_spinlock lock;
  syncmap::rw_spinlock copy(lock);
  static_cast<void>(copy);
}
