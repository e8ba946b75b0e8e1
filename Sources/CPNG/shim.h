// libpng 1.6 as seen by Swift.
#include <png.h>
