# mdlkitTmhAppend.cmake -- run by mdlkit_add_driver's TMH_APPEND step:
#   cmake -DTMH=<file.tmh> -DEXTRA=<file.tmh.extra> -P mdlkitTmhAppend.cmake
# appends EXTRA to the .tmh mdlkit-tracewpp just wrote.
file(READ "${EXTRA}" extra)
file(APPEND "${TMH}" "\n/* appended from ${EXTRA} */\n${extra}")
