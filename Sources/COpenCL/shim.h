// OpenCL 1.2 API as seen by Swift (the ICD loader dispatches to every installed platform).
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
