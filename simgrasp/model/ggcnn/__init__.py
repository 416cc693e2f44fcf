"""GG-CNN (Morrison, Corke and Leitner, RSS 2018) and GG-CNN2 (the same authors, IJRR 2020):
small fully convolutional networks from a 300 px depth image to per-pixel grasp quality,
angle (cos 2θ, sin 2θ) and width maps, trained with the squared error. One family, the
variant as config (:class:`~simgrasp.model.ggcnn.config.GGCNNConfig`)."""
