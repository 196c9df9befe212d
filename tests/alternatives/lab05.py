"""Correct answers to lab 5 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab05.py)."""

from labs.qa.faults import alternative

REG, REG_T = "lab05-regularised-cnn", ("lab05-regularised-cnn-tests",)
SIMPLE, SIMPLE_T = "lab05-simple-cnn", ("lab05-simple-cnn-tests",)

ALTERNATIVES = [
    alternative("simple-functional", SIMPLE, SIMPLE_T, source='''class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc2 = nn.Linear(128, 10)  # registered in another order than they run
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))
''', why="functional ReLU, pooling and flattening, layers registered out of order"),
    alternative("simple-one-relu-module", SIMPLE, SIMPLE_T, source='''class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
        self.pool, self.relu = nn.MaxPool2d(2), nn.ReLU()
        self.fc1, self.fc2 = nn.Linear(32 * 7 * 7, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.fc2(self.relu(self.fc1(torch.flatten(x, 1))))
''', why="one ReLU module and one pooling module, reused"),
    alternative("reg-functional", REG, REG_T, source='''class RegularisedCNN(nn.Module):
    def __init__(self, dropout: float = 0.3):
        super().__init__()
        self.p = dropout
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(F.max_pool2d(self.conv1(x), 2)))
        x = F.relu(self.bn2(F.max_pool2d(self.conv2(x), 2)))
        x = F.dropout(x.flatten(1), self.p, training=self.training)
        x = F.dropout(F.relu(self.fc1(x)), self.p, training=self.training)
        return self.fc2(x)
''', why="functional pooling, ReLU, flattening and dropout"),
]
