# Fails if the disassembly of a read-path probe contains an instruction that writes shared
# memory atomically or fences: a lock prefix, an xchg with a memory operand (implicitly
# locked), mfence, or a seq_cst store compiled as xchg. Run as
#   cmake -DOBJDUMP=... -DOBJECT=probe.o -DFUNCTIONS=f1,f2 -P check_read_path.cmake
# (comma-separated: a semicolon would not survive add_test's argument quoting). Each item is
# a regular expression that must match a whole (mangled) symbol name; every function it
# matches is checked, and it must match at least one: so out-of-line parts of the hit path
# (rcu_read_table's find_slot_out_of_line) are named by a pattern.
foreach(var OBJDUMP OBJECT FUNCTIONS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_read_path.cmake: ${var} not set")
  endif()
endforeach()

execute_process(
  COMMAND "${OBJDUMP}" -d --no-show-raw-insn "${OBJECT}"
  OUTPUT_VARIABLE listing
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${OBJECT}")
endif()
string(REPLACE "," ";" FUNCTIONS "${FUNCTIONS}")
string(REPLACE "\n" ";" lines "${listing}")

set(failed FALSE)
set(functions "")
foreach(pattern IN LISTS FUNCTIONS)
  set(pattern_matched FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-f]+ <(${pattern})>:$")
      set(pattern_matched TRUE)
      list(APPEND functions "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT pattern_matched)
    message(SEND_ERROR "${pattern}: no function of ${OBJECT} matches")
    set(failed TRUE)
  endif()
endforeach()

foreach(function IN LISTS functions)
  set(inside FALSE)
  set(body "")
  set(count 0)
  foreach(line IN LISTS lines)
    if(line STREQUAL "" AND inside)
      break()
    elseif(inside)
      list(APPEND body "${line}")
      math(EXPR count "${count} + 1")
    elseif(line MATCHES "^[0-9a-f]+ <(.*)>:$" AND CMAKE_MATCH_1 STREQUAL function)
      set(inside TRUE)
    endif()
  endforeach()
  set(bad "")
  foreach(line IN LISTS body)
    # xchg %ax,%ax is the 2-byte nop; any other xchg is a locked RMW when it touches memory.
    if(line MATCHES "\tlock " OR line MATCHES "\tmfence" OR
       (line MATCHES "\txchg " AND NOT line MATCHES "xchg +%ax,%ax"))
      list(APPEND bad "${line}")
    endif()
  endforeach()
  if(bad)
    string(REPLACE ";" "\n" bad_text "${bad}")
    message(SEND_ERROR "${function}: the read path executes an atomic RMW or fence:\n${bad_text}")
    set(failed TRUE)
  else()
    message(STATUS "${function}: ${count} instructions, no lock prefix, xchg or mfence")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "read-path check failed")
endif()
