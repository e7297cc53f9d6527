#include "CPetrel.h"
