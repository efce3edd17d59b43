// Checks that this build carries GPU code the selected device can run. A binary built for
// sm_90 on an older GPU would otherwise fail at its first kernel launch with an obscure
// "no kernel image" error; cuda_available() reports it up front instead.
#pragma once

#include <string>

namespace p3d::cuda_backend {

// True when the kernels of this build can run on `device` (the call makes it current).
// Otherwise false, with the reason in *reason when reason is not null.
bool device_code_runnable(int device, std::string* reason);

}  // namespace p3d::cuda_backend
