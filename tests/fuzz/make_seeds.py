#!/usr/bin/env python3
"""Writes the seed corpus of syncmap's fuzz targets: tests/fuzz/corpus/<target>/<seed>.

    python3 tests/fuzz/make_seeds.py          (re)write every seed
    python3 tests/fuzz/make_seeds.py --check  only check this script's operation tables
                                              against the C++ enums (exit 1 on a mismatch)

Each seed is a small hand-written program in the byte encoding the drivers decode
(model_driver.hpp for *_ops, threads_driver.hpp for *_threads): a start for libFuzzer that
already reaches every operation, both key types, throwing callbacks, copies and moves, and
both phases of the concurrent targets. The tables below must list the C++ enums in order;
every run checks that first, so a reordered enum cannot silently turn the seeds into other
programs. Files found by fuzzing (minimized crashes, see README.md) live next to these and
are not touched: only the names written here are overwritten.
"""

import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent

KEY_OPS = ["load", "contains", "store", "load_or_store", "load_or_store_with", "try_emplace",
           "load_and_delete", "erase", "exchange", "compare_and_swap", "compare_and_delete",
           "visit", "update", "upsert", "erase_if"]
MODEL_OPS = KEY_OPS + ["erase_if_all", "for_each", "snapshot", "size_empty", "clear",
                       "copy_construct", "copy_assign", "move_construct", "move_assign", "swap",
                       "flip", "equal", "reserve", "range_construct", "load_burst", "store_run",
                       "full_check"]
DISJOINT_OPS = KEY_OPS + ["for_each", "snapshot", "size", "erase_if_all", "copy_construct"]
SHARED_OPS = ["upsert_increment", "update_increment", "cas_increment", "load_and_delete",
              "compare_and_delete", "exchange_zero", "load_or_store_zero", "try_emplace_zero",
              "erase_if_odd", "read", "for_each", "snapshot", "erase_if_all_none", "move_value"]

ALT, RAISE, HINT = 0x20, 0x40, 0x80          # operation flags (key_ops.hpp)
LVALUE, RVALUE, VIEW, C_STRING = 0, 1, 2, 3  # key_form (fuzz_support.hpp)


def enum_names(header, enum):
    """The enumerator names of `enum class <enum>` in header, without the final `count`."""
    text = (HERE / header).read_text()
    body = re.search(r"enum class %s : std::uint8_t \{(.*?)\};" % enum, text, re.S).group(1)
    body = re.sub(r"//[^\n]*", "", body)
    names = [re.match(r"\s*(\w+)", item).group(1) for item in body.split(",") if item.strip()]
    return [name for name in names if name != "count"]


def check_tables():
    ok = True
    for header, enum, table, skip in [("key_ops.hpp", "key_op", KEY_OPS, 0),
                                      ("model_driver.hpp", "model_op", MODEL_OPS, len(KEY_OPS)),
                                      ("threads_driver.hpp", "disjoint_op", DISJOINT_OPS,
                                       len(KEY_OPS)),
                                      ("threads_driver.hpp", "shared_op", SHARED_OPS, 0)]:
        names = enum_names(header, enum)
        if names != table[skip:]:
            print("make_seeds.py: %s in %s is %s, this script has %s" %
                  (enum, header, names, table[skip:]), file=sys.stderr)
            ok = False
    return ok


def key(index, form=LVALUE):
    return index | form << 6


def model_op(name, *operands, flags=0):
    return bytes([MODEL_OPS.index(name) | flags, *operands])


def disjoint_op(name, *operands, flags=0):
    return bytes([DISJOINT_OPS.index(name) | flags, *operands])


def shared_op(name, slot, flags=0):
    return bytes([SHARED_OPS.index(name) | flags, slot])


# Byte 0. Bit 3 means std::shared_mutex to sharded_map_ops and is a rounds bit to the
# *_threads targets: pass std_mutex only for the first, round_bits only for the others.
def config(strings=False, shard_bits=0, std_mutex=False, round_bits=0):
    return bytes([int(strings) | shard_bits << 1 | int(std_mutex) << 3 | round_bits << 3])


# ---- the sequential targets (model_driver.hpp) ----

def every_operation(form):
    """Each operation at least once, on present and absent keys, keys passed in `form`."""
    p = model_op("store_run", key(0), 40, 3)
    for k in (1, 5, 50, 63):
        p += model_op("load", key(k, form)) + model_op("contains", key(k, form))
        p += model_op("store", key(k, form), 7) + model_op("load_or_store", key(k, form), 8)
        p += model_op("load_or_store_with", key(k + 1, form), 9)
        p += model_op("try_emplace", key(k, form), 2) + model_op("exchange", key(k, form), 4)
        p += model_op("compare_and_swap", key(k, form), 4, 5)
        p += model_op("compare_and_swap", key(k, form), 0, 6, flags=HINT)
        p += model_op("visit", key(k, form)) + model_op("update", key(k, form))
        p += model_op("update", key(k, form), flags=ALT) + model_op("upsert", key(k, form), 1)
        p += model_op("upsert", key(k + 2, form), 1, flags=ALT)
        p += model_op("erase_if", key(k, form), 1) + model_op("erase_if", key(k + 1, form), 2)
        p += model_op("compare_and_delete", key(k + 2, form), 0, flags=HINT)
        p += model_op("load_and_delete", key(k, form)) + model_op("erase", key(k + 1, form))
    p += model_op("for_each", 0) + model_op("for_each", 3) + model_op("for_each", 0, flags=ALT)
    p += model_op("snapshot") + model_op("size_empty") + model_op("erase_if_all", 1)
    p += model_op("copy_construct") + model_op("equal") + model_op("store", key(9), 1)
    p += model_op("equal") + model_op("swap") + model_op("move_assign") + model_op("flip")
    p += model_op("range_construct", 1) + model_op("reserve", 40) + model_op("load_burst", key(9), 20)
    p += model_op("clear") + model_op("size_empty") + model_op("full_check")
    return p


def throwing_callbacks():
    p = model_op("store_run", key(10), 20, 1)
    for k in (10, 11, 40):
        for name in ("load_or_store_with", "upsert"):
            p += model_op(name, key(k), 5, flags=RAISE)
        for name in ("visit", "update"):
            p += model_op(name, key(k), flags=RAISE)
        p += model_op("erase_if", key(k), 0, flags=RAISE)
    p += model_op("for_each", 3, flags=RAISE) + model_op("erase_if_all", 2, 4, flags=RAISE)
    p += model_op("full_check") + model_op("erase_if_all", 0, 30, flags=RAISE)
    p += model_op("full_check")
    return p


def copies_and_moves():
    p = model_op("store_run", key(3), 12, 6)
    p += model_op("copy_construct") + model_op("copy_construct", flags=ALT)
    p += model_op("store", key(20), 1) + model_op("equal") + model_op("copy_assign")
    p += model_op("copy_assign", flags=ALT) + model_op("equal") + model_op("move_construct")
    p += model_op("store", key(3), 2) + model_op("flip") + model_op("store_run", key(30), 5, 2)
    p += model_op("move_assign", flags=ALT) + model_op("swap", flags=ALT) + model_op("swap")
    p += model_op("range_construct", 0) + model_op("range_construct", key(1), 1, key(2), 2,
                                                  key(1), 3, flags=ALT)
    p += model_op("flip") + model_op("equal") + model_op("clear") + model_op("equal")
    return p


def promotion_churn():
    """Many new keys, lookups that miss the read table, deletes and revivals (rcu_map's
    dirty-table rebuilds and promotions), then a clear and refill."""
    p = b""
    for start in (0, 16, 32, 48):
        p += model_op("store_run", key(start), 16, start)
        p += model_op("load_burst", key(start + 1), 31)
        p += model_op("erase", key(start + 2)) + model_op("load_and_delete", key(start + 3))
        p += model_op("store", key(start + 2), 1) + model_op("load_burst", key(start + 5), 31)
        p += model_op("compare_and_delete", key(start + 4), 0, flags=HINT)
        p += model_op("load_or_store", key(start + 4), 2) + model_op("for_each", 0)
    p += model_op("clear") + model_op("store_run", key(7), 63, 1) + model_op("full_check")
    return p


def sharded_extras():
    p = model_op("reserve", 200) + model_op("store_run", key(0), 60, 9)
    p += model_op("reserve", 0, flags=HINT) + model_op("reserve", 0, flags=ALT)
    p += model_op("reserve", 255) + model_op("full_check")
    return p


def rcu_reserve():
    """rcu_map's reserve: sized dirty table, a promotion, the reservation carried into the
    rebuild and through a clear, then beyond max_size."""
    p = model_op("reserve", 50) + model_op("store_run", key(0), 40, 3)
    p += model_op("load_burst", key(90), 63) + model_op("store_run", key(40), 60, 4)
    p += model_op("clear") + model_op("store_run", key(5), 30, 5) + model_op("reserve", 10)
    p += model_op("reserve", 0, flags=HINT) + model_op("for_each", 0) + model_op("full_check")
    return p


# ---- the concurrent targets (threads_driver.hpp) ----

def disjoint_program(first_key):
    p = b""
    for k in range(first_key, first_key + 24, 3):
        p += disjoint_op("store", key(k), k) + disjoint_op("upsert", key(k + 1), 1)
        p += disjoint_op("load_or_store", key(k + 2), 3)
    p += disjoint_op("for_each", 0) + disjoint_op("snapshot") + disjoint_op("size")
    for k in range(first_key, first_key + 24, 2):
        p += disjoint_op("update", key(k)) + disjoint_op("compare_and_swap", key(k + 1), 0, 9,
                                                         flags=HINT)
        p += disjoint_op("load", key(k, VIEW)) + disjoint_op("erase", key(k + 1, C_STRING))
    p += disjoint_op("copy_construct") + disjoint_op("erase_if_all", 1)
    p += disjoint_op("for_each", 5) + disjoint_op("exchange", key(first_key), 2)
    return p


def shared_program(names, slots):
    return b"".join(shared_op(name, slot) for name in names for slot in slots)


INCREMENTS = ["upsert_increment", "cas_increment", "update_increment", "upsert_increment"]
REMOVALS = ["load_and_delete", "upsert_increment", "compare_and_delete", "cas_increment",
            "exchange_zero", "upsert_increment", "erase_if_odd", "move_value", "read",
            "load_or_store_zero", "try_emplace_zero", "for_each", "snapshot",
            "erase_if_all_none"]


def write(target, name, data):
    directory = HERE / "corpus" / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    if not check_tables():
        return 1
    if sys.argv[1:] == ["--check"]:
        return 0
    for target in ("sharded_map_ops", "rcu_map_ops"):
        write(target, "every_op_integers", config(shard_bits=1) + every_operation(LVALUE))
        write(target, "every_op_strings", config(strings=True, shard_bits=2) +
              every_operation(VIEW) + every_operation(C_STRING) + every_operation(RVALUE))
        write(target, "throwing_callbacks", config(strings=True) + throwing_callbacks())
        write(target, "copies_and_moves", config(shard_bits=3) + copies_and_moves())
        write(target, "promotion_churn", config() + promotion_churn())
    write("sharded_map_ops", "std_shared_mutex_reserve",
          config(std_mutex=True, shard_bits=1) + sharded_extras())
    write("rcu_map_ops", "reserve_and_promotions", config() + rcu_reserve())
    for target in ("sharded_map_threads", "rcu_map_threads"):
        halves = disjoint_program(0) + disjoint_program(7)
        write(target, "disjoint_integers", config(shard_bits=1, round_bits=2) + halves)
        write(target, "disjoint_strings", config(strings=True, round_bits=1) + halves)
        slots = range(8)
        increments = shared_program(INCREMENTS, slots)
        write(target, "shared_increments", config(round_bits=3) + increments + increments)
        removals = shared_program(REMOVALS, slots)
        write(target, "shared_removals", config(shard_bits=2, round_bits=2) + removals +
              shared_program(REMOVALS, reversed(slots)))
        write(target, "shared_strings", config(strings=True, round_bits=3) + removals +
              increments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
