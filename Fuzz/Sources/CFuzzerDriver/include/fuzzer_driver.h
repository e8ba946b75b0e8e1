// fuzzer_driver.h — libFuzzer's driver entry point, so a Swift @main can start libFuzzer itself.
#ifndef GPUSTYLE_FUZZER_DRIVER_H
#define GPUSTYLE_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv` on `callback` (provided by -sanitize=fuzzer's runtime).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
