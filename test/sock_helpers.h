/* Until every test includes sock_test.h (the sweep removes this file). */
#include "sock_test.h"
