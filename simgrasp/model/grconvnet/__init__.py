"""GR-ConvNet (Kumra, Joshi and Sahin, IROS 2020; the released ``grconvnet3``): a generative
residual network from a 224 px RGB-D image to per-pixel grasp quality, angle (cos 2θ,
sin 2θ) and width maps, trained with the smooth L1 loss. Channels (32 published, 16 for
this CPU) and input (rgbd, depth, rgb) are config
(:class:`~simgrasp.model.grconvnet.config.GRConvNetConfig`)."""
