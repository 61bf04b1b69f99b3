#include <stdio.h>
#include "util.h"
#include "greeting.h"

void greet(const char *name) {
  printf("%s, %s%s\n", GREETING, name, MARK);
}
