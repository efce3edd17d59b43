// Stand-in networks with the real architectures, made by the project itself (a user's
// machine has no TensorFlow) and written as frozen GraphDef .pb files through our own schema
// (importer/tensorflow_graph.proto), so `portrait3d demo` loads them through the importer
// exactly as it loads model_mask3_white_light.pb and depth_net.pb.
//
// The R-Net: tf-slim's resnet_v1_50 as the original's R_Net freezes it (the node names, op
// patterns and attrs of tests/fixtures/tf/rnet_reduced, its TF-made twin at reduced widths:
// explicit Pad + VALID for strided convs, 1x1 MaxPool shortcut subsampling, FusedBatchNormV3
// after each conv, `read` Identity nodes on every variable), then 1x1 heads fc-id 80, fc-ex
// 64, fc-tex 80, fc-angles 3, fc-gamma 27, fc-XY 2, fc-Z 1 and fc-f 1, squeezed and
// concatenated into `coeff` [N, 258]. Weights are seeded He-scaled normals with a gain of
// kResidualGain on each residual branch's last batch norm (activations stay bounded through
// the 16 units) and heads of std kHeadWeightStd, so every coefficient is near zero: the mean
// face, frontal, placed by the alignment onto the photo's face.
//
// The depth net: a U-Net on `inputs` [N, 256, 256, 5] -> `depth_map` [N, 256, 256, 1]
// (encoder conv3x3 + BN + ReLU pairs at widths 32/64/128/256 with 2x2 max pools, decoder
// ResizeNearestNeighbor + conv, skip ConcatV2, conv pairs, a 3x3 conv head, Tanh, Mul, Add;
// every 3x3 conv VALID after a 1-pixel SYMMETRIC MirrorPad, so levels hold up to the border).
// Every 3x3 kernel is a channel mix times a fixed [1 2 1]x[1 2 1]/16 blur, so the output
// varies smoothly (nearest 2x upsampling followed by that blur is bilinear upsampling), not
// as pixel noise. Channel 0 of every layer carries the stitch mask (input channel 4, the
// hair/ear region) down the encoder and up the decoder, blurred at every scale; the head
// maps it to a bulge: d = centre - kDepthAmplitude * tanh(kCarrierGain * (carrier - 1/2)
// + small random features), nearer the camera inside the hair, back at its rim. `centre` is
// the depth of the face's silhouette with all coefficients zero (standin_depth_centre), so
// the output always lies within centre +- kDepthAmplitude and the hair meets the face where
// its outline curves away from the camera.
//
// Why the silhouette and not the model's head_center: the synthetic model puts head_center
// at the landmarks' mean depth, which for its face lies about 1 dm in front of the face's
// outline (border vertices' mean z); hair centred there floats in front of the cheeks in the
// +-30 degree previews. The outline's depth is where a head's hair really starts.
#pragma once

#include <cstdint>
#include <string>

#include "importer/tensorflow_graph.pb.h"
#include "pipeline/face_model.h"

namespace p3d {

// R-Net weights: the gain on each bottleneck's conv3 batch norm, and the heads' std.
constexpr float kResidualGain = 0.2f;
constexpr float kHeadWeightStd = 1e-4f;
// Depth net output: d within standin_depth_centre(model) +- kDepthAmplitude.
constexpr float kDepthAmplitude = 0.4f;
constexpr float kCarrierGain = 3.f;

// The R-Net GraphDef (about 94 MB of weights), input `input_imgs` [-1, 224, 224, 3].
tf::GraphDef make_standin_rnet(uint32_t seed);

// d (= 10 - z) of the face's silhouette with zero coefficients: the face sits at the origin
// re-centred on its mean vertex, and the silhouette's z is the border vertices' mean z
// (border_index) minus the mean vertex's.
float standin_depth_centre(const FaceModel& model);

// The depth-net GraphDef for `model` (its head centre sets the output's centre).
tf::GraphDef make_standin_depth_net(const FaceModel& model, uint32_t seed);

// Serialises `def` to `path` atomically (pipeline/atomic_file.h). Throws p3d::Error naming
// the path.
void write_graph_def(const tf::GraphDef& def, const std::string& path);

}  // namespace p3d
