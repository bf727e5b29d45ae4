// syncmap tests: a linearizability checker for histories of single-key map operations.
// SPDX-License-Identifier: MIT
//
// A concurrent history is a set of operations, each with the thread that ran it, its
// arguments, its result, and two stamps from one shared sequence counter: `invoked`, taken
// right before the call, and `responded`, taken right after it returned. Operation A
// precedes B in real time when A.responded < B.invoked. The history is linearizable when
// some total order of all its operations (a) extends that real-time order and (b) explains
// every result when the operations are applied one at a time, in that order, to a sequential
// model of the map, starting from the history's initial contents (Herlihy & Wing).
//
// The model is the map itself, shrunk: key index -> absent or a small int. Results are
// encoded in op_result: `value` for what an operation returns by value (load's optional,
// load_or_store's pair.first, erase's count), `flag` for what it returns as a bool
// (inserted, found, swapped, pair.second). update()/upsert() add `a` modulo value_space to
// the value: a pure function, as rcu_map requires (it may run the callback more than once).
//
// The search (Wing & Gong's, with Lowe's memoization): a depth-first walk over the set of
// operations linearized so far. An operation may come next when every operation that
// precedes it in real time is already linearized; it is taken only when the model, applied
// to it, returns exactly its recorded result. A (linearized set, model state) pair that led
// nowhere once is remembered and never expanded again, so the work is bounded by the number
// of such pairs rather than by the number of orders: with t threads of n operations each the
// linearized set is one prefix per thread, at most (n+1)^t sets.
//
// Linearizability is local (Herlihy & Wing, theorem 1): a history is linearizable iff its
// sub-history on each object is. Each key is an independent object here (every operation
// touches one key), so check() searches each key's sub-history on its own. That makes the
// search smaller and, when it fails, names the smallest failing part: the report lists the
// failing key's operations only, the longest prefix the search could explain, and what the
// model says each possible next operation should have returned.
//
// Soundness of the stamps: both are seq_cst fetch_adds on one atomic, so they are totally
// ordered and each one synchronizes with every later one (all read-modify-writes of the
// counter form one release sequence). A.responded < B.invoked therefore means A's call
// happens-before B's, and a linearizable map must order A first.
//
// A failing history prints as a table (one row per operation, in invocation order, with a
// timeline of the intervals) and as C++ that rebuilds it, to paste into a test and re-check.
#ifndef SYNCMAP_TESTS_SUPPORT_LINEARIZABILITY_HPP
#define SYNCMAP_TESTS_SUPPORT_LINEARIZABILITY_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace syncmap_test {
namespace linearizability {

// Every API.md single-key operation that returns a result. Arguments (`a`, `b` in operation):
enum class op_kind : unsigned char {
  load,                // -
  contains,            // -
  visit,               // -            (result: found, and the value the callback saw)
  store,               // a = value
  load_or_store,       // a = value
  load_or_store_with,  // a = value make() returns
  try_emplace,         // a = value
  load_and_delete,     // -
  erase,               // -
  exchange,            // a = value
  compare_and_swap,    // a = expected, b = desired
  compare_and_delete,  // a = expected
  upsert,              // a = delta (present: v -> (v + a) % value_space), b = value if absent
  update,              // a = delta
  erase_if,            // a = value, b = 0: erase if value == a; b = 1: erase if value != a
};

inline constexpr std::array<op_kind, 15> all_op_kinds = {
    op_kind::load,        op_kind::contains,         op_kind::visit,
    op_kind::store,       op_kind::load_or_store,    op_kind::load_or_store_with,
    op_kind::try_emplace, op_kind::load_and_delete,  op_kind::erase,
    op_kind::exchange,    op_kind::compare_and_swap, op_kind::compare_and_delete,
    op_kind::upsert,      op_kind::update,           op_kind::erase_if,
};

inline const char* name(op_kind kind) {
  switch (kind) {
    case op_kind::load:
      return "load";
    case op_kind::contains:
      return "contains";
    case op_kind::visit:
      return "visit";
    case op_kind::store:
      return "store";
    case op_kind::load_or_store:
      return "load_or_store";
    case op_kind::load_or_store_with:
      return "load_or_store_with";
    case op_kind::try_emplace:
      return "try_emplace";
    case op_kind::load_and_delete:
      return "load_and_delete";
    case op_kind::erase:
      return "erase";
    case op_kind::exchange:
      return "exchange";
    case op_kind::compare_and_swap:
      return "compare_and_swap";
    case op_kind::compare_and_delete:
      return "compare_and_delete";
    case op_kind::upsert:
      return "upsert";
    case op_kind::update:
      return "update";
    case op_kind::erase_if:
      return "erase_if";
  }
  return "?";
}

// A key's state in the model, and op_result::value when there is none.
inline constexpr int absent = -1;

struct op_result {
  int value = absent;  // returned value (optional / pair.first), erase's count; else absent
  bool flag = false;   // returned bool (inserted / found / swapped / pair.second); else false

  friend bool operator==(const op_result& x, const op_result& y) noexcept {
    return x.value == y.value && x.flag == y.flag;
  }
  friend bool operator!=(const op_result& x, const op_result& y) noexcept { return !(x == y); }
};

// An aggregate, so a printed history pastes back as brace initializers.
struct operation {
  std::size_t thread = 0;
  op_kind kind = op_kind::load;
  std::size_t key = 0;  // key index, < history::initial.size()
  int a = 0;
  int b = 0;
  op_result result;
  std::uint64_t invoked = 0;    // sequence stamp taken right before the call
  std::uint64_t responded = 0;  // sequence stamp taken right after it returned
};

struct history {
  std::vector<int> initial;  // per key index: absent or the value it starts with
  int value_space = 3;       // values are 0 .. value_space-1
  std::vector<operation> operations;
};

// ---- the sequential model ----

struct model_step {
  op_result result;
  int next;  // the key's state afterwards
};

inline model_step apply(const operation& op, int state, int value_space) {
  const bool present = state != absent;
  const auto bump = [&](int v) { return (v + op.a) % value_space; };
  switch (op.kind) {
    case op_kind::load:
      return {{state, false}, state};
    case op_kind::contains:
      return {{absent, present}, state};
    case op_kind::visit:
      return {{state, present}, state};
    case op_kind::store:
      return {{absent, !present}, op.a};
    case op_kind::load_or_store:
    case op_kind::load_or_store_with:
      return present ? model_step{{state, true}, state} : model_step{{op.a, false}, op.a};
    case op_kind::try_emplace:
      return {{absent, !present}, present ? state : op.a};
    case op_kind::load_and_delete:
      return {{state, false}, absent};
    case op_kind::erase:
      return {{present ? 1 : 0, false}, absent};
    case op_kind::exchange:
      return {{state, false}, op.a};
    case op_kind::compare_and_swap:
      return present && state == op.a ? model_step{{absent, true}, op.b}
                                      : model_step{{absent, false}, state};
    case op_kind::compare_and_delete:
      return present && state == op.a ? model_step{{absent, true}, absent}
                                      : model_step{{absent, false}, state};
    case op_kind::upsert:
      return present ? model_step{{absent, false}, bump(state)} : model_step{{absent, true}, op.b};
    case op_kind::update:
      return {{absent, present}, present ? bump(state) : state};
    case op_kind::erase_if: {
      const bool erased = present && ((state == op.a) != (op.b != 0));
      return {{absent, erased}, erased ? absent : state};
    }
  }
  return {{absent, false}, state};
}

// ---- printing ----

inline std::string key_name(std::size_t key) {
  return "k" + std::to_string(key);
}

inline std::string state_name(int state) {
  return state == absent ? std::string("absent") : std::to_string(state);
}

inline std::string describe_call(const operation& op) {
  const std::string k = key_name(op.key);
  const std::string a = std::to_string(op.a);
  const std::string b = std::to_string(op.b);
  switch (op.kind) {
    case op_kind::store:
    case op_kind::load_or_store:
    case op_kind::try_emplace:
    case op_kind::exchange:
      return std::string(name(op.kind)) + "(" + k + ", " + a + ")";
    case op_kind::load_or_store_with:
      return "load_or_store_with(" + k + ", [] { return " + a + "; })";
    case op_kind::compare_and_swap:
      return "compare_and_swap(" + k + ", " + a + ", " + b + ")";
    case op_kind::compare_and_delete:
      return "compare_and_delete(" + k + ", " + a + ")";
    case op_kind::upsert:
      return "upsert(" + k + ", +" + a + ", " + b + ")";
    case op_kind::update:
      return "update(" + k + ", +" + a + ")";
    case op_kind::erase_if:
      return "erase_if(" + k + ", value " + (op.b != 0 ? "!= " : "== ") + a + ")";
    default:
      return std::string(name(op.kind)) + "(" + k + ")";
  }
}

// A result as the API returns it (optional, bool, pair or count) for this kind.
inline std::string describe_result(op_kind kind, const op_result& r) {
  const auto boolean = [](bool f) { return std::string(f ? "true" : "false"); };
  const auto optional = [](int v) { return v == absent ? std::string("none") : std::to_string(v); };
  switch (kind) {
    case op_kind::load:
    case op_kind::load_and_delete:
    case op_kind::exchange:
      return optional(r.value);
    case op_kind::visit:
      return boolean(r.flag) + (r.flag ? " saw " + optional(r.value) : "");
    case op_kind::load_or_store:
    case op_kind::load_or_store_with:
      return "(" + optional(r.value) + ", " + boolean(r.flag) + ")";
    case op_kind::erase:
      return std::to_string(r.value);
    default:
      return boolean(r.flag);
  }
}

// One row per operation in invocation order, with a timeline: column i is the i-th stamp of
// the (sub-)history, '[' the call, ']' the return. `only` restricts the rows to some
// operations (indices into h.operations); empty means all.
inline std::string describe(const history& h, const std::vector<std::size_t>& only = {}) {
  std::vector<std::size_t> rows = only;
  if (rows.empty()) {
    for (std::size_t i = 0; i < h.operations.size(); ++i)
      rows.push_back(i);
  }
  std::sort(rows.begin(), rows.end(), [&](std::size_t x, std::size_t y) {
    return h.operations[x].invoked < h.operations[y].invoked;
  });
  std::vector<std::uint64_t> stamps;
  for (const std::size_t i : rows) {
    stamps.push_back(h.operations[i].invoked);
    stamps.push_back(h.operations[i].responded);
  }
  std::sort(stamps.begin(), stamps.end());
  const auto column = [&](std::uint64_t stamp) {
    return static_cast<std::size_t>(std::lower_bound(stamps.begin(), stamps.end(), stamp) -
                                    stamps.begin());
  };
  const auto pad = [](std::string text, std::size_t width) {  // and at least one space
    text.append(text.size() < width ? width - text.size() : 1, ' ');
    return text;
  };

  std::string out = "  initial:";
  for (std::size_t k = 0; k < h.initial.size(); ++k)
    out += " " + key_name(k) + "=" + state_name(h.initial[k]);
  out += "  (values 0.." + std::to_string(h.value_space - 1) + ")\n";
  out += "  " + pad("#", 4) + pad("invoked", 9) + pad("returned", 10) + pad("thread", 8) +
         pad("operation", 40) + pad("result", 16) + "timeline\n";
  for (const std::size_t i : rows) {
    const operation& op = h.operations[i];
    std::string line(stamps.size(), ' ');
    const std::size_t from = column(op.invoked);
    const std::size_t to = column(op.responded);
    for (std::size_t c = from; c <= to && c < line.size(); ++c)
      line[c] = '-';
    if (from < line.size()) line[from] = '[';
    if (to < line.size()) line[to] = ']';
    line.erase(line.find_last_not_of(' ') + 1);
    out += "  " + pad(std::to_string(i), 4) + pad(std::to_string(op.invoked), 9) +
           pad(std::to_string(op.responded), 10) + pad("T" + std::to_string(op.thread), 8) +
           pad(describe_call(op), 40) + pad(describe_result(op.kind, op.result), 16) + line + "\n";
  }
  return out;
}

// C++ that rebuilds the history: `linearizability::history h = <this>;`.
inline std::string to_code(const history& h) {
  const auto number = [](int v) { return v == absent ? std::string("absent") : std::to_string(v); };
  std::string out = "{{";
  for (std::size_t k = 0; k < h.initial.size(); ++k)
    out += (k == 0 ? "" : ", ") + number(h.initial[k]);
  out += "}, " + std::to_string(h.value_space) + ", {\n";
  for (const operation& op : h.operations) {
    out += "  {" + std::to_string(op.thread) + ", op_kind::" + name(op.kind) + ", " +
           std::to_string(op.key) + ", " + std::to_string(op.a) + ", " + std::to_string(op.b) +
           ", {" + number(op.result.value) + ", " + (op.result.flag ? "true" : "false") + "}, " +
           std::to_string(op.invoked) + ", " + std::to_string(op.responded) + "},\n";
  }
  return out + "}}";
}

// ---- the checker ----

struct verdict {
  bool linearizable = true;
  // Per key: indices into history::operations in an order that linearizes that key's
  // sub-history (filled for every key up to the first that has none).
  std::vector<std::vector<std::size_t>> witness;
  std::size_t failing_key = 0;  // when !linearizable
  std::string explanation;      // when !linearizable: the failing sub-history and why
};

// Throws std::invalid_argument when the history cannot be checked: a key index out of range,
// an initial value outside 0..value_space-1, a call stamped after its return, two calls of one
// thread that overlap, or more than max_operations_per_key operations on one key.
inline constexpr std::size_t max_operations_per_key = 32;

inline void validate(const history& h) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("linearizability::check: " + what);
  };
  if (h.value_space < 1) fail("value_space must be at least 1");
  const auto in_domain = [&](int v) { return v >= 0 && v < h.value_space; };
  for (const int state : h.initial) {
    if (state != absent && !in_domain(state)) fail("initial value out of range");
  }
  std::vector<std::size_t> per_key(h.initial.size(), 0);
  for (std::size_t i = 0; i < h.operations.size(); ++i) {
    const operation& op = h.operations[i];
    const std::string which = "operation " + std::to_string(i) + " (" + describe_call(op) + ")";
    if (op.key >= h.initial.size()) fail(which + ": key index out of range");
    if (++per_key[op.key] > max_operations_per_key) fail("too many operations on one key");
    if (op.invoked >= op.responded) fail(which + ": invoked must be below responded");
    for (std::size_t j = 0; j < i; ++j) {
      const operation& other = h.operations[j];
      if (other.thread == op.thread && other.invoked < op.responded &&
          op.invoked < other.responded) {
        fail(which + " overlaps operation " + std::to_string(j) + " of the same thread");
      }
    }
  }
}

namespace detail {

// The search over one key's sub-history.
class key_search {
 public:
  key_search(const history& h, std::vector<std::size_t> ops, int initial)
      : history_(h), ops_(std::move(ops)), initial_(initial), must_follow_(ops_.size(), 0) {
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      for (std::size_t j = 0; j < ops_.size(); ++j) {
        if (op(j).responded < op(i).invoked) must_follow_[i] |= bit(j);
      }
    }
  }

  bool run() {
    const std::uint32_t all = ops_.size() == 32 ? ~std::uint32_t{0} : bit(ops_.size()) - 1;
    return search(0, initial_, all);
  }

  // Indices into history::operations, in linearization order (after a successful run()).
  std::vector<std::size_t> order() const {
    std::vector<std::size_t> out;
    for (const std::size_t i : path_)
      out.push_back(ops_[i]);
    return out;
  }

  // Why run() failed: the deepest consistent prefix and what blocks every continuation.
  std::string explain() const {
    std::string out = "  the longest prefix the model explains (" +
                      std::to_string(deepest_.size()) + " of " + std::to_string(ops_.size()) +
                      " operations):\n";
    int state = initial_;
    out += "    start: " + key_name(history_.operations[ops_.front()].key) + " = " +
           state_name(state) + "\n";
    for (const std::size_t i : deepest_) {
      state = apply(op(i), state, history_.value_space).next;
      out += "    #" + std::to_string(ops_[i]) + " T" + std::to_string(op(i).thread) + " " +
             describe_call(op(i)) + " -> " + describe_result(op(i).kind, op(i).result) +
             "   (then " + state_name(state) + ")\n";
    }
    out += "  then no operation can come next:\n";
    std::uint32_t done = 0;
    for (const std::size_t i : deepest_)
      done |= bit(i);
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (done & bit(i)) continue;
      out += "    #" + std::to_string(ops_[i]) + " T" + std::to_string(op(i).thread) + " " +
             describe_call(op(i)) + ": ";
      if ((must_follow_[i] & ~done) != 0) {
        out += "must follow #";
        for (std::size_t j = 0; j < ops_.size(); ++j) {
          if ((must_follow_[i] & ~done) & bit(j)) {
            out += std::to_string(ops_[j]);
            break;
          }
        }
        out += ", which returned before it was called\n";
      } else {
        const op_result expected = apply(op(i), state, history_.value_space).result;
        out += "returned " + describe_result(op(i).kind, op(i).result) + ", the model says " +
               describe_result(op(i).kind, expected) + "\n";
      }
    }
    if (deepest_.size() < ops_.size() && !deepest_unique_) {
      out += "  (other prefixes of that length exist too; none of them can be extended either)\n";
    }
    return out;
  }

 private:
  static std::uint32_t bit(std::size_t i) { return std::uint32_t{1} << i; }
  const operation& op(std::size_t i) const { return history_.operations[ops_[i]]; }

  bool search(std::uint32_t done, int state, std::uint32_t all) {
    if (done == all) return true;
    const std::uint64_t memo = (std::uint64_t{done} << 32) | static_cast<std::uint32_t>(state + 1);
    if (failed_.count(memo) != 0) return false;
    if (path_.size() > deepest_.size()) {
      deepest_ = path_;
      deepest_unique_ = true;
    } else if (path_.size() == deepest_.size() && path_ != deepest_) {
      deepest_unique_ = false;
    }
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if ((done & bit(i)) != 0 || (must_follow_[i] & ~done) != 0) continue;
      const model_step step = apply(op(i), state, history_.value_space);
      if (step.result != op(i).result) continue;
      path_.push_back(i);
      if (search(done | bit(i), step.next, all)) return true;
      path_.pop_back();
    }
    failed_.insert(memo);
    return false;
  }

  const history& history_;
  std::vector<std::size_t> ops_;              // this key's operations (indices into history_)
  int initial_;                               // the key's initial state
  std::vector<std::uint32_t> must_follow_;    // per op: the ops that returned before its call
  std::unordered_set<std::uint64_t> failed_;  // (done set, state) pairs that lead nowhere
  std::vector<std::size_t> path_;             // the current prefix (local indices)
  std::vector<std::size_t> deepest_;          // the longest prefix reached
  bool deepest_unique_ = true;
};

}  // namespace detail

// Whether h is linearizable; throws std::invalid_argument when validate(h) does.
inline verdict check(const history& h) {
  validate(h);
  verdict result;
  for (std::size_t key = 0; key < h.initial.size(); ++key) {
    std::vector<std::size_t> ops;
    for (std::size_t i = 0; i < h.operations.size(); ++i) {
      if (h.operations[i].key == key) ops.push_back(i);
    }
    if (ops.empty()) {
      result.witness.emplace_back();
      continue;
    }
    detail::key_search search(h, ops, h.initial[key]);
    if (!search.run()) {
      result.linearizable = false;
      result.failing_key = key;
      result.explanation = "not linearizable: the operations on " + key_name(key) +
                           " have no valid order\n" + describe(h, ops) + search.explain();
      return result;
    }
    result.witness.push_back(search.order());
  }
  return result;
}

}  // namespace linearizability
}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_LINEARIZABILITY_HPP
