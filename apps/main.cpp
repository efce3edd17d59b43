// portrait3d command-line program (placeholder until the engine self-check lands).
#include <cstdio>
int main() { std::puts("portrait3d"); return 0; }
