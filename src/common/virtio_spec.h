/*
 * virtio_spec: the virtio 1.2 constants both ends of a virtio device
 * speak, written once for the monitor's device models (src/vmm/virtio) and
 * the benchmark guest's driver (src/guest/virtio.h). Plain #defines with
 * no include, because the guest is freestanding. What only one side needs
 * (the monitor's BAR layout, the guest's ring sizes) stays with that side.
 */
#ifndef VIRTIO_SPEC_H
#define VIRTIO_SPEC_H

/* Device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19

/* The PCI transport (4.1): the vendor and the device ID of a modern
 * function, 0x1040 + the virtio device ID (4.1.2.1); the cfg_type of the
 * vendor capabilities that locate its structures (4.1.4). */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg, by field offset (4.1.4.3). */
#define VIRTIO_CC_DFSELECT 0x00     /* device_feature_select */
#define VIRTIO_CC_DF 0x04           /* device_feature */
#define VIRTIO_CC_GFSELECT 0x08     /* driver_feature_select */
#define VIRTIO_CC_GF 0x0c           /* driver_feature */
#define VIRTIO_CC_MSIX_CONFIG 0x10  /* config_msix_vector */
#define VIRTIO_CC_NUM_QUEUES 0x12
#define VIRTIO_CC_STATUS 0x14       /* device_status */
#define VIRTIO_CC_GENERATION 0x15   /* config_generation */
#define VIRTIO_CC_Q_SELECT 0x16
#define VIRTIO_CC_Q_SIZE 0x18
#define VIRTIO_CC_Q_MSIX 0x1a       /* queue_msix_vector */
#define VIRTIO_CC_Q_ENABLE 0x1c
#define VIRTIO_CC_Q_NOFF 0x1e       /* queue_notify_off */
#define VIRTIO_CC_Q_DESC 0x20
#define VIRTIO_CC_Q_DRIVER 0x28
#define VIRTIO_CC_Q_DEVICE 0x30
#define VIRTIO_CC_Q_NDATA 0x38      /* queue_notify_data */
#define VIRTIO_CC_Q_RESET 0x3a
/* No MSI-X vector for the configuration or a queue (4.1.4.3). */
#define VIRTIO_NO_VECTOR 0xffff

/* ISR status bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Device-independent feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Split virtqueues: descriptor flags (2.7.5), available ring flags (2.7.6)
 * and used ring flags (2.7.8). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Network device: feature bits (5.1.3) and status (5.1.4). */
#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_MTU 3
#define NET_F_MAC 5
#define NET_F_GUEST_TSO4 7
#define NET_F_GUEST_TSO6 8
#define NET_F_GUEST_ECN 9
#define NET_F_GUEST_UFO 10
#define NET_F_HOST_TSO4 11
#define NET_F_HOST_TSO6 12
#define NET_F_HOST_ECN 13
#define NET_F_HOST_UFO 14
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS 16
#define NET_F_GUEST_USO4 54
#define NET_F_GUEST_USO6 55
#define NET_F_HOST_USO 56
#define NET_S_LINK_UP 1

/* Block device: feature bits (5.2.3), request types and status (5.2.6). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Socket device: the stream feature (5.10.3), the host's well-known CID
 * (5.10.4), and the header's type, op and shutdown flags (5.10.6). */
#define VSOCK_F_STREAM 0
#define VSOCK_HOST_CID 2u
#define VSOCK_TYPE_STREAM 1u
#define VSOCK_OP_INVALID 0
#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7
#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u

#endif
