// gram.cl — placeholder until the OpenCL backend lands.
