"""Makes random-weight torchvision models and their reference features (run by
forward_parity_test.sh with the system interpreter). Usage: forward_parity_test.py make DIR
writes, for vgg16_bn and resnet50: ARCH.pth (torch.save state_dict, zip; vgg16_bn also
vgg16_bn_legacy.pth in the pre-1.6 format), ARCH_script.pt
(TorchScript: vgg16_bn().features / the whole resnet50), x.npy (2,3,64,64), grey.npy
(2,1,64,64), ARCH_ref.npy (features of x) and vgg16_bn_grey_ref.npy (features of the grey
batch repeated to RGB).  compare A B TOL: prints max |A-B| and fails above TOL."""
import sys

import numpy as np
import torch
import torchvision


def randomize_bn(model, generator):
    # Non-trivial running statistics and affine parameters, so eval-mode BN matters.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=generator) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
            m.num_batches_tracked.fill_(7)


def make(out):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 64, 64, generator=g)
    grey = torch.rand(2, 1, 64, 64, generator=g)
    np.save(out + "/x.npy", x.numpy())
    np.save(out + "/grey.npy", grey.numpy())
    with torch.no_grad():
        vgg = torchvision.models.vgg16_bn(weights=None).eval()
        randomize_bn(vgg, g)
        torch.save(vgg.state_dict(), out + "/vgg16_bn.pth")
        torch.save(vgg.state_dict(), out + "/vgg16_bn_legacy.pth",
                   _use_new_zipfile_serialization=False)
        torch.jit.script(vgg.features).save(out + "/vgg16_bn_script.pt")
        np.save(out + "/vgg16_bn_ref.npy", vgg.features(x).numpy())
        np.save(out + "/vgg16_bn_grey_ref.npy", vgg.features(grey.repeat(1, 3, 1, 1)).numpy())

        resnet = torchvision.models.resnet50(weights=None).eval()
        randomize_bn(resnet, g)
        torch.save(resnet.state_dict(), out + "/resnet50.pth")
        torch.jit.script(resnet).save(out + "/resnet50_script.pt")
        r = resnet
        y = r.maxpool(r.relu(r.bn1(r.conv1(x))))
        y = r.layer4(r.layer3(r.layer2(r.layer1(y))))
        np.save(out + "/resnet50_ref.npy", y.numpy())


def compare(a, b, tol):
    a, b = np.load(a), np.load(b)
    assert a.dtype == np.float32, a.dtype
    assert a.shape == b.shape, (a.shape, b.shape)
    diff = float(np.abs(a.astype(np.float64) - b).max())
    scale = float(np.abs(b).max())
    print("max abs diff %.3g (max |ref| %.3g, shape %s)" % (diff, scale, a.shape))
    assert scale > 1e-3, "reference features are all ~0: the test would prove nothing"
    if not diff <= float(tol):
        sys.exit("max abs diff %g > %s" % (diff, tol))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
