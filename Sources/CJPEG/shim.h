// libjpeg-turbo (libjpeg 6.2 API) as seen by Swift; jpeglib.h needs stdio.h first.
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
#include <jerror.h>
