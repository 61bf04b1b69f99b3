#define MARK "!"
