// fuzzer_driver.c — empty: the module only declares libFuzzer's LLVMFuzzerRunDriver (see include/fuzzer_driver.h).
#include "fuzzer_driver.h"
