# MmGetSystemRoutineAddress looks names up among the program's dynamic
# symbols: a program linked with the static library exports them (-rdynamic).
set_target_properties(test_io_pnp PROPERTIES ENABLE_EXPORTS ON)
