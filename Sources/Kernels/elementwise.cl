// elementwise.cl — placeholder until the OpenCL backend lands.
