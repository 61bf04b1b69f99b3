#include "util.h"

int main(void) {
  greet("world");
  return 0;
}
