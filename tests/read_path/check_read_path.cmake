# Fails if the disassembly of a read-path probe contains an instruction that writes shared
# memory atomically or fences: a lock prefix, an xchg with a memory operand (implicitly
# locked), mfence, or a seq_cst store compiled as xchg. Run as
#   cmake -DOBJDUMP=... -DOBJECT=probe.o -DFUNCTIONS=f1,f2 -P check_read_path.cmake
# (comma-separated: a semicolon would not survive add_test's argument quoting).
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
foreach(function IN LISTS FUNCTIONS)
  set(inside FALSE)
  set(body "")
  set(count 0)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-f]+ <${function}>:$")
      set(inside TRUE)
    elseif(inside AND line MATCHES "^[0-9a-f]+ <")
      break()
    elseif(inside AND NOT line STREQUAL "")
      list(APPEND body "${line}")
      math(EXPR count "${count} + 1")
    endif()
  endforeach()
  if(count EQUAL 0)
    message(SEND_ERROR "${function}: not found in ${OBJECT}")
    set(failed TRUE)
    continue()
  endif()
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
