"""What the per-pixel grasp-map networks share (GG-CNN, Morrison et al. RSS 2018 / IJRR
2020, and GR-ConvNet, Kumra et al. IROS 2020, whose released code descends from GG-CNN's):
four output maps (grasp quality, cos 2θ, sin 2θ, opening width) as large as the input,
their label maps drawn from grasp rectangles (:mod:`.targets`), the losses (:mod:`.losses`),
the decoding of maps into ranked image grasps (:mod:`.decode`, :mod:`.detector`), the input
normalisation (:mod:`.inputs`), the augmentation (:mod:`.augment`) and the training loop
(:mod:`.train`). The architectures live in their own family folders
(:mod:`simgrasp.model.ggcnn`, :mod:`simgrasp.model.grconvnet`)."""
