#include "punctuation.h"
#define GREETING "Hello"
